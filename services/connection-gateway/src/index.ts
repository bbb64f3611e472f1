export { createGateway, type Gateway, type GatewayDeps } from "./gateway.ts";
export { listenHttp, type PublicHttp } from "./http-listener.ts";
