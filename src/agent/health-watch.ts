import type { ConsumerSession } from "../amqp/consumer-session.js";
import type { AgentConfig } from "../config/types.js";
import { toError } from "../errors.js";
import type { LogThrottle } from "../observability/log-throttle.js";
import type { Logger } from "../observability/logger.js";
import type { AgentMetrics } from "../observability/metrics.js";
import type { Scheduler } from "../pipeline/scheduler.js";
import type { CircuitBreaker } from "../policy/circuit-breaker.js";
import type { ConsumerControl } from "../policy/consumer-control.js";

/** Held messages are handed back when the oldest nears this share of the broker's consumer_timeout. */
const RELEASE_AT_SHARE = 0.8;

export interface HealthWatchOptions {
  config: AgentConfig;
  scheduler: Scheduler;
  breaker: CircuitBreaker;
  control: ConsumerControl;
  metrics: AgentMetrics;
  log: Logger;
  throttle: LogThrottle;
  /** The live session while the agent is ready, else undefined. */
  readySession(): ConsumerSession | undefined;
  /** Whether the broker blocked the connection (a resource alarm: reconnecting would not help). */
  blocked(): boolean;
  restart(error: Error): void;
}

/**
 * Every `health_interval`: the channel answers (a passive declare, which also reads the backlog),
 * and, while the circuit breaker is open, held messages are handed back before RabbitMQ's
 * `consumer_timeout` would close the channel over them.
 */
export class HealthWatch {
  private timer: NodeJS.Timeout | undefined;
  /** The queue's ready messages at the last check. */
  backlog: number | undefined;

  constructor(private readonly options: HealthWatchOptions) {}

  start(): void {
    this.timer = setInterval(() => void this.check(), this.options.config.connection.healthIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  async check(): Promise<void> {
    const { config, scheduler, metrics, log, throttle } = this.options;
    const { lanes, oldestWaitMs } = scheduler.laneWaits();
    metrics.orderKeysWaiting.set(lanes);
    metrics.oldestWait.set(oldestWaitMs / 1000);
    this.releaseIfHeldTooLong();
    const session = this.options.readySession();
    if (!session) return;
    try {
      // At least 5 s: the check waits behind the channel's other requests (copies being published).
      const backlog = await session.checkQueue(Math.max(5_000, config.connection.healthIntervalMs));
      metrics.backlog.set(backlog);
      this.backlog = backlog;
    } catch (thrown) {
      if (!this.options.readySession() || !session.alive) return;
      const error = toError(thrown);
      if (this.options.blocked()) return;
      throttle.warn(
        log,
        "health-check",
        { err: error },
        `health check failed: ${error.message}; reconnecting`,
      );
      this.options.restart(error);
    }
  }

  private releaseIfHeldTooLong(): void {
    const { config, scheduler, breaker, control, log, throttle } = this.options;
    const { amqp } = config;
    if (breaker.state === "closed" || amqp.autoAck) return;
    const oldest = scheduler.oldestReceivedAt;
    if (oldest === undefined || performance.now() - oldest < amqp.consumerTimeoutMs * RELEASE_AT_SHARE)
      return;
    if (amqp.autoDelete) {
      throttle.warn(
        log,
        "release-auto-delete",
        {},
        `messages held for ${Math.round((performance.now() - oldest) / 1000)}s while the circuit breaker is open near consumer_timeout; the queue is auto-delete, so the consumer is kept (cancelling it would delete the queue): RabbitMQ may close the channel and redeliver them`,
      );
      return;
    }
    control.handedBack();
    const count = scheduler.giveBackWaiting();
    log.warn(
      { returned: count },
      `circuit breaker open for long: ${count} held message(s) handed back to the queue before RabbitMQ's consumer_timeout, consumer paused until the next probe`,
    );
  }
}
