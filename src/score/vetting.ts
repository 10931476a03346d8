/**
 * Contamination-robust training for the technique rule. An attacker's own records are in the
 * training data (a sweep of 30 hosts leaves 60 NetrSessionEnum rows), so counting rows lets one
 * compromised host teach the model that its group "normally" enumerates sessions. Vetting counts
 * distinct originating HOSTS instead: a technique operation becomes normal for an originator
 * group only when at least `minHosts` different hosts of that group, and at least `minShare` of
 * the group's active hosts, performed it in the training window. The share matters in big groups:
 * four compromised engineering workstations out of seventy do not make session enumeration
 * routine for engineering, while three management servers out of five running service
 * deployments do. Rows of unvetted pairs are withheld from the fit.
 */
import { HostSet } from './host-days.js';
import { techniqueFor } from './techniques.js';

/** One technique operation × originator group and how many distinct hosts did it. */
export interface VettedPair {
  operation: string;
  origGroup: string;
  hosts: number;
  /** Distinct hosts of the group that originated anything. */
  groupHosts: number;
  admitted: boolean;
}

/**
 * The vetting outcome a scorer needs: for each technique operation × originator group seen in
 * training, how many distinct hosts did it (capped at `minHosts`). Exact, unlike support
 * estimated from cluster counts, which smears one group's routine over another group in the same
 * cluster. Plain JSON so it can be stored beside (eventually inside) the model.
 */
export interface TechniqueProfile {
  minHosts: number;
  minShare: number;
  /** Admitted pairs: [operation (lower case), originator group, distinct hosts that did it] */
  admitted: [operation: string, origGroup: string, hosts: number][];
}

/** Hosts behind an admitted pair, or 0 when `operation` from `origGroup` was not admitted. */
export function profileHosts(profile: ReadonlyMap<string, number>, operation: string, origGroup: string): number {
  return profile.get(pairKey(operation, origGroup)) ?? 0;
}

/** Indexes a profile for {@link profileHosts}. */
export function indexProfile(profile: TechniqueProfile): Map<string, number> {
  return new Map(profile.admitted.map(([operation, group, hosts]) => [pairKey(operation, group), hosts]));
}

/** Counts distinct originating hosts per technique operation × originator group. */
export class TechniqueVetting {
  readonly minHosts: number;
  readonly minShare: number;
  /** `${operation}\0${group}` → hosts that did it. */
  readonly #hosts = new Map<string, HostSet>();
  /** group → hosts that originated anything (a HostSet: every host of the window is in one). */
  readonly #groupHosts = new Map<string, HostSet>();
  #decided: Map<string, boolean> | null = null;

  /** @throws RangeError when `minHosts` is not an integer ≥ 1 or `minShare` not in [0, 1]. */
  constructor(minHosts: number, minShare = 0) {
    if (!Number.isInteger(minHosts) || minHosts < 1) {
      throw new RangeError(`vetting: minHosts must be an integer >= 1, got ${minHosts}`);
    }
    if (!(minShare >= 0 && minShare <= 1)) throw new RangeError(`vetting: minShare must be in [0, 1], got ${minShare}`);
    this.minHosts = minHosts;
    this.minShare = minShare;
  }

  /** True when vetting concerns this operation (an ATT&CK technique operation). */
  static concerns(operation: string | null): operation is string {
    return techniqueFor(operation) !== undefined;
  }

  /**
   * Records that `origHost` (null: unknown, counts as nobody) did `operation` from `origGroup`.
   * Call it for every record of the training window, technique or not: the group sizes count.
   */
  observe(operation: string | null, origGroup: string, origHost: string | null): void {
    if (origHost === null) return;
    this.#decided = null;
    let group = this.#groupHosts.get(origGroup);
    if (group === undefined) this.#groupHosts.set(origGroup, (group = new HostSet()));
    group.add(origHost);
    if (!TechniqueVetting.concerns(operation)) return;
    const key = pairKey(operation, origGroup);
    let hosts = this.#hosts.get(key);
    if (hosts === undefined) this.#hosts.set(key, (hosts = new HostSet()));
    hosts.add(origHost);
  }

  /** Whether a row with this operation and originator group may train the model. */
  admits(operation: string | null, origGroup: string): boolean {
    if (!TechniqueVetting.concerns(operation)) return true;
    this.#decided ??= new Map(this.pairs().map((p) => [pairKey(p.operation, p.origGroup), p.admitted]));
    return this.#decided.get(pairKey(operation, origGroup)) ?? false;
  }

  /** What a scorer needs from this vetting. */
  profile(): TechniqueProfile {
    return {
      minHosts: this.minHosts,
      minShare: this.minShare,
      admitted: this.pairs()
        .filter((p) => p.admitted)
        .map((p): [string, string, number] => [p.operation, p.origGroup, p.hosts]),
    };
  }

  /** Every technique pair seen, sorted, for reports. */
  pairs(): VettedPair[] {
    return [...this.#hosts.entries()]
      .map(([key, hosts]) => {
        const [operation, origGroup] = key.split('\u0000') as [string, string];
        const groupHosts = this.#groupHosts.get(origGroup)?.size ?? hosts.size;
        const admitted = hosts.size >= this.minHosts && hosts.size >= this.minShare * groupHosts;
        return { operation, origGroup, hosts: hosts.size, groupHosts, admitted };
      })
      .sort((a, b) => a.operation.localeCompare(b.operation) || a.origGroup.localeCompare(b.origGroup));
  }
}

function pairKey(operation: string, origGroup: string): string {
  // Case-folded like the technique table, so RpcAddPrinterDriverEx and rpcaddprinterdriverex agree.
  return `${operation.toLowerCase()}\u0000${origGroup}`;
}
