export { createGateway, type Gateway, type GatewayDeps } from "./gateway.ts";
