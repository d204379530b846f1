/**
 * Splits one deployment-hour's capacity cost over the teams that used it, in proportion to their
 * tokens, with the largest-remainder method so the shares add up to the hour's cost exactly:
 *
 * 1. each team gets floor(hourCost × tokens / totalTokens);
 * 2. the nano-USD left over (fewer than the number of teams) go one each to the teams with the
 *    largest remainders (hourCost × tokens mod totalTokens);
 * 3. equal remainders are broken by team id in ascending code-unit order (deterministic, locale-free).
 *
 * Teams with zero tokens get 0. When no team used the hour (total 0), every share is 0: idle
 * capacity is not attributed to anyone. The result lists teams in ascending id order.
 */
export function attributeCapacity(hourCostNanos: bigint, usageByTeam: Map<string, bigint>): Map<string, bigint> {
  if (hourCostNanos < 0n) throw new RangeError(`hourCostNanos must not be negative, got ${hourCostNanos}`);
  const teams = [...usageByTeam.keys()].sort(compareCodeUnits);
  let totalTokens = 0n;
  for (const team of teams) {
    const tokens = usageByTeam.get(team) ?? 0n;
    if (tokens < 0n) throw new RangeError(`tokens of team ${team} must not be negative, got ${tokens}`);
    totalTokens += tokens;
  }

  const shares = new Map<string, bigint>(teams.map((team) => [team, 0n]));
  if (totalTokens === 0n || hourCostNanos === 0n) return shares;

  const remainders: Array<{ team: string; remainder: bigint }> = [];
  let distributed = 0n;
  for (const team of teams) {
    const scaled = hourCostNanos * (usageByTeam.get(team) ?? 0n);
    const share = scaled / totalTokens;
    shares.set(team, share);
    distributed += share;
    remainders.push({ team, remainder: scaled % totalTokens });
  }

  let leftover = hourCostNanos - distributed;
  remainders.sort((a, b) => (a.remainder === b.remainder ? compareCodeUnits(a.team, b.team) : a.remainder > b.remainder ? -1 : 1));
  for (const { team } of remainders) {
    if (leftover === 0n) break;
    shares.set(team, (shares.get(team) ?? 0n) + 1n);
    leftover -= 1n;
  }
  return shares;
}

function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
