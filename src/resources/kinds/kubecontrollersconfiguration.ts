/** KubeControllersConfiguration (api/pkg/apis/projectcalico/v3/kubecontrollersconfig.go): Go layout and columns. */
import { S, type Field } from '../../codec/go-json.js';
import { name, naming } from '../kind.js';
import type { KindDescriptor } from '../registry.js';
import { duration, f, named, resource, str, struct } from '../schemas.js';

const reconciler = (goName: string) => struct(goName, [f('reconcilerPeriod', duration())], true);

const kubeControllersSpecFields = (): Field[] => [
  f('logSeverityScreen', S.string()),
  f('healthChecks', S.string()),
  f('etcdV3CompactionPeriod', duration()),
  f('prometheusMetricsPort', S.int({ pointer: true })),
  f(
    'controllers',
    struct('ControllersConfig', [
      f(
        'node',
        struct(
          'NodeControllerConfig',
          [
            f('reconcilerPeriod', duration()),
            f('syncLabels', S.string()),
            f(
              'hostEndpoint',
              struct(
                'AutoHostEndpointConfig',
                [
                  f('autoCreate', S.string()),
                  f('createDefaultHostEndpoint', str('v3.DefaultHostEndpointMode')),
                  f(
                    'templates',
                    S.slice(
                      struct('Template', [
                        f('generateName', S.string()),
                        f('interfaceCIDRs', S.slice(S.string())),
                        f('interfacePattern', S.string()),
                        f('labels', S.map(S.string())),
                        f('nodeSelector', S.string()),
                      ]),
                    ),
                  ),
                ],
                true,
              ),
            ),
            f('leakGracePeriod', duration()),
          ],
          true,
        ),
      ),
      f('policy', reconciler('PolicyControllerConfig')),
      f('workloadEndpoint', reconciler('WorkloadEndpointControllerConfig')),
      f('serviceAccount', reconciler('ServiceAccountControllerConfig')),
      f('namespace', reconciler('NamespaceControllerConfig')),
      f('loadBalancer', struct('LoadBalancerControllerConfig', [f('assignIPs', str('v3.AssignIPs'))], true)),
      f(
        'policyMigration',
        struct('MigrationControllerConfig', [f('enabled', str('v3.ControllerMode'))], true),
      ),
    ]),
    false,
  ),
  f('debugProfilePort', named(S.int({ pointer: true }), '*int32')),
];

const kubeControllersSpec = struct('KubeControllersConfigurationSpec', kubeControllersSpecFields());
const kubeControllersStatus = struct('KubeControllersConfigurationStatus', [
  f('runningConfig', struct('KubeControllersConfigurationSpec', kubeControllersSpecFields(), true)),
  f('environmentVars', S.map(S.string())),
]);

export const kubecontrollersconfiguration: KindDescriptor = {
  ...naming('KubeControllersConfiguration', 'kubecontrollersconfigurations', [
    'kubecontrollersconfig',
    'kubecontrollersconfigs',
  ]),
  schema: resource('KubeControllersConfiguration', kubeControllersSpec, [
    f('status', kubeControllersStatus, false),
  ]),
  ps: [name],
  wide: [name],
};
