/** Why an agent is not (fully) serving, as `/readyz` and the summary say it; `undefined` when it is. */
export function statusReason(agent: {
  ready: boolean;
  stateReason: string | undefined;
  circuit: string;
  breakerDetail: string | undefined;
  blockedBy: string | undefined;
}): string | undefined {
  if (!agent.ready) return agent.stateReason;
  if (agent.blockedBy) return `the broker blocked the connection (resource alarm: ${agent.blockedBy})`;
  if (agent.circuit !== "closed")
    return `circuit breaker ${agent.circuit.replace("_", "-")}: ${agent.breakerDetail ?? ""}`;
  return undefined;
}
