/** The plugin of a WorkerSpec (see load-plugin.ts). */
export { resolveWorkerPlugin, loadWorkerPlugin, BUILTIN_WORKERS, WorkerPluginError } from './load-plugin.js';
