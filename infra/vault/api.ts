import { Duration, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { VaultRouteDef } from '../../functions/defs.js';
import type { Settings } from '../props.js';
import type { VaultFunction } from '../vault-function.js';

/** HTTP API access log line (JSON): every value quoted, since an unset variable renders as `-`. */
const ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  ip: '$context.identity.sourceIp',
  requestTime: '$context.requestTime',
  method: '$context.httpMethod',
  routeKey: '$context.routeKey',
  path: '$context.path',
  protocol: '$context.protocol',
  status: '$context.status',
  responseLength: '$context.responseLength',
  latency: '$context.responseLatency',
  integrationLatency: '$context.integrationLatency',
  integrationStatus: '$context.integrationStatus',
  integrationError: '$context.integrationErrorMessage',
  error: '$context.error.message',
  userAgent: '$context.identity.userAgent',
};

/** The HTTP API in front of the routes' functions: one route each, throttled, access-logged. */
export class VaultApi {
  readonly api: apigw.HttpApi;
  readonly apiStage: apigw.HttpStage;

  constructor(
    scope: Construct,
    settings: Settings,
    routes: VaultRouteDef[],
    fn: (id: string) => VaultFunction,
  ) {
    const { stage, namePrefix, removalPolicy, logRetention } = settings;
    this.api = new apigw.HttpApi(scope, 'Api', {
      apiName: namePrefix,
      description: `Token vault (${stage})`,
      createDefaultStage: false,
      ...(settings.corsOrigins.length > 0
        ? {
            corsPreflight: {
              allowOrigins: settings.corsOrigins,
              allowMethods: [...new Set(routes.map((r) => r.method))].map((m) => apigw.CorsHttpMethod[m]),
              allowHeaders: ['authorization', 'content-type', 'x-registration-secret', 'idempotency-key'],
              exposeHeaders: [
                'location',
                'www-authenticate',
                'x-request-id',
                'retry-after',
                'idempotency-replayed',
              ],
              maxAge: Duration.hours(1),
            },
          }
        : {}),
    });
    const accessLogs = new logs.LogGroup(scope, 'ApiAccessLogs', { retention: logRetention, removalPolicy });
    this.apiStage = new apigw.HttpStage(scope, 'ApiStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: settings.rateLimit, burstLimit: settings.burstLimit },
      accessLogSettings: {
        destination: new apigw.LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
    });
    for (const route of routes) {
      const httpRoute = new apigw.HttpRoute(scope, `${route.id}Route`, {
        httpApi: this.api,
        routeKey: apigw.HttpRouteKey.with(route.path, apigw.HttpMethod[route.method]),
        integration: new HttpLambdaIntegration(`${route.id}Integration`, fn(route.id)),
      });
      Validations.of(httpRoute).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason:
          route.scope === null
            ? `${route.method} ${route.path} is public by design (${route.summary}); what it needs (the operator secret for closed registration, the connect session's state for the OAuth callback) the function checks.`
            : `${route.method} ${route.path} is authorised by the function itself: a vault API key (bcrypt-verified) with the scope '${route.scope}'.`,
      });
    }
  }
}
