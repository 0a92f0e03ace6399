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

export interface ClientConfig {
  datastoreType: 'etcdv3' | 'embedded';
  /** Where the configuration came from: "config file /etc/calico/calicoctl.cfg", "environment" or "default". */
  source: string;
  etcd?: EtcdConfig;
  embedded?: { path: string };
  /** Problems worth telling the user that do not stop the command (printed by src/cli, one line each). */
  warnings?: string[];
}
