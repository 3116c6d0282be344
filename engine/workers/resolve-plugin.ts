/** The plugin of a WorkerSpec (see load-plugin.ts). */
export { resolveWorkerPlugin, loadWorkerPlugin, WorkerPluginError } from './load-plugin.js';
