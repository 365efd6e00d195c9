import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';

// One logger, metrics and tracer per process. Powertools reads POWERTOOLS_* from the environment
// (log level, service name, namespace); the defaults below apply when they are unset.
const serviceName = process.env.POWERTOOLS_SERVICE_NAME ?? 'token-vault';

export const logger = new Logger({ serviceName });

export const metrics = new Metrics({
  serviceName,
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'TokenVault',
  // Routes without a domain metric would warn "no metrics to publish" on every request.
  logger: {
    debug: (...a: unknown[]) => logger.debug(String(a[0])),
    info: (...a: unknown[]) => logger.info(String(a[0])),
    warn: (...a: unknown[]) => logger.debug(String(a[0])),
    error: (...a: unknown[]) => logger.error(String(a[0])),
  },
});

export const tracer = new Tracer({ serviceName });
