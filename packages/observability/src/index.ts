export { createLogger, type Logger, type LoggerOptions, type LogLevel } from "./logger.ts";
export { createMetrics, DEPENDENCY_UP, type Metrics } from "./metrics.ts";
export { metricServiceName } from "./service-name.ts";
export { connectionErrorLogger, type ConnectionErrorSink } from "./connection-errors.ts";
export { startHttp, type OpsHttp, type OpsHttpOptions } from "./http.ts";
