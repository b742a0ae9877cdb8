/**
 * @module server
 * The reel server (jobs, REST API, auth, agent registry) and the composition roots of the
 * daemons: `reel server`, `reel node`, `reel client`. Imports every component below it:
 * api, catalog, transfer, media, client, format, errors.
 */
export { type AgentOptions, type RunningServer, runClient, runNode, type ServerOptions, startServer, VERSION } from "./main.js";
