// `api`: the pipeline lifecycle over HTTP (routes in lib/api/routes.ts, served at GET /openapi.json).
import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { apiHandlerFromEnv } from "../lib/api";

const logger = new Logger({ serviceName: "reef" });

/** The raw middy handler (tests call it with API Gateway v2 events). */
export const apiHandler = apiHandlerFromEnv(process.env, logger);

export const handler = apiHandlerFromEnv(process.env, logger).use(injectLambdaContext(logger));
