/** The one typed client configuration every datastore command is built from. */

/** etcd settings, named as in calicoctl's CalicoAPIConfigSpec. */
export type EtcdSetting =
  | 'etcdEndpoints'
  | 'etcdDiscoverySrv'
  | 'etcdUsername'
  | 'etcdPassword'
  | 'etcdKeyFile'
  | 'etcdCertFile'
  | 'etcdCACertFile'
  | 'etcdKey'
  | 'etcdCert'
  | 'etcdCACert';

export interface EtcdConfig {
  /** Validated client URLs (http:// or https://, all the same scheme); empty when discoverySrv is used. */
  endpoints: string[];
  /** A DNS domain whose _etcd-client(-ssl)._tcp SRV records name the endpoints. */
  discoverySrv?: string;
  /** Present only when both username and password are non-empty (calicoctl's rule). */
  username?: string;
  password?: string;
  caCertFile?: string;
  certFile?: string;
  keyFile?: string;
  /** Inline PEM from the config file (never mixed with the *File settings). */
  caCert?: string;
  cert?: string;
  key?: string;
  /**
   * How the user spelled each setting, for messages: `CALICO_ETCD_ENDPOINTS`, `ETCD_ENDPOINTS`
   * or `etcdEndpoints` (config file). Messages name the setting, never a password or key.
   */
  settingNames: Record<EtcdSetting, string>;
}

/** Kubernetes settings, named as in calicoctl's KubeConfig (libcalico-go/lib/apiconfig/apiconfig.go). */
export type KubernetesSetting =
  | 'kubeconfig'
  | 'k8sAPIEndpoint'
  | 'k8sCertFile'
  | 'k8sKeyFile'
  | 'k8sCAFile'
  | 'k8sAPIToken'
  | 'k8sInsecureSkipTLSVerify'
  | 'k8sCurrentContext'
  | 'kubeconfigInline'
  | 'calicoAPIGroup';

/**
 * What selects and authenticates the Kubernetes API server, before any kubeconfig file is read
 * (src/config/kubeconfig.ts resolves it, as client-go does, when the datastore is opened).
 */
export interface KubernetesConfig {
  /**
   * The kubeconfig files: KUBECONFIG or `kubeconfig` split on ':' (several are merged with
   * client-go's precedence, one must exist), or $HOME/.kube/config when it exists and neither a
   * kubeconfig nor an API endpoint is configured; empty for none. Empty entries are kept as ''.
   */
  kubeconfig: string[];
  /** `kubeconfigInline` (config file only): the whole kubeconfig; the overrides are then ignored. */
  inline?: string;
  /** calicoctl's overrides on top of the kubeconfig (non-empty values only). */
  overrides: {
    context?: string;
    server?: string;
    certFile?: string;
    keyFile?: string;
    caFile?: string;
    token?: string;
    /** Only true is applied (calicoctl's rule). */
    insecureSkipTLSVerify: boolean;
  };
  /** `usePodCIDR`: host-local IPAM; Calico's IPAM kinds are then not served. */
  usePodCIDR: boolean;
  /** How the user spelled each setting, for messages (as EtcdConfig.settingNames). */
  settingNames: Record<KubernetesSetting, string>;
}

export interface ClientConfig {
  datastoreType: 'etcdv3' | 'embedded' | 'kubernetes';
  /** Where the configuration came from: "config file /etc/calico/calicoctl.cfg", "environment" or "default". */
  source: string;
  etcd?: EtcdConfig;
  embedded?: { path: string };
  kubernetes?: KubernetesConfig;
  /** Problems worth telling the user that do not stop the command (printed by src/cli, one line each). */
  warnings?: string[];
}
