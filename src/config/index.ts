export { parseDuration } from "./duration.js";
export { loadConfigFile, resolveConfig } from "./load-config.js";
export type * from "./types.js";
