export { DEFAULT_CONFIG_PATH, defaultEmbeddedPath, loadClientConfig } from './load.js';
export type { LoadClientConfigOptions } from './load.js';
export type { ClientConfig, EtcdConfig, EtcdSetting } from './types.js';
