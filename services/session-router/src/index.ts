export { createRouter, type Router, type RouterDeps } from "./router.ts";
