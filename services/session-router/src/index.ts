export { createRouter, type AccountStores, type Router, type RouterDeps } from "./router.ts";
