/**
 * Allow-list rules from the INI (`[allow.NAME]`): a record matching every matcher a rule sets is
 * not alerted on, and the rule's name is counted so suppressed alerts still show in the stats.
 * Expired rules stop matching at their expiry without a reload.
 */
import type { AllowRule } from '../config/types.js';
import { CidrTrie, parseAddress } from '../features/index.js';
import type { DceRpcRecord } from '../zeek/index.js';

/** The record's groups, as the feature stage computed them. */
export interface GroupContext {
  origGroup: string;
  respGroup: string;
}

interface CompiledRule {
  rule: AllowRule;
  origHost: CidrTrie | null;
  respHost: CidrTrie | null;
}

function hostMatcher(cidr: string | undefined): CidrTrie | null {
  if (cidr === undefined) return null;
  const trie = new CidrTrie();
  trie.add(cidr, 'match');
  return trie;
}

function hostMatches(trie: CidrTrie | null, address: string | null): boolean {
  if (trie === null) return true;
  if (address === null) return false;
  const parsed = parseAddress(address);
  return parsed !== null && trie.match(parsed) !== null;
}

export class AllowList {
  readonly #rules: CompiledRule[];

  constructor(rules: readonly AllowRule[]) {
    this.#rules = rules.map((rule) => ({
      rule,
      origHost: hostMatcher(rule.origHost),
      respHost: hostMatcher(rule.respHost),
    }));
  }

  get size(): number {
    return this.#rules.length;
  }

  /** The first unexpired rule that matches, or undefined. `nowMs` decides expiry. */
  match(record: DceRpcRecord, groups: GroupContext, nowMs: number): AllowRule | undefined {
    for (const { rule, origHost, respHost } of this.#rules) {
      if (rule.expiresAt !== undefined && nowMs > rule.expiresAt) continue;
      if (rule.origGroup !== undefined && rule.origGroup !== groups.origGroup) continue;
      if (rule.respGroup !== undefined && rule.respGroup !== groups.respGroup) continue;
      if (rule.endpoint !== undefined && rule.endpoint !== record.endpoint) continue;
      if (rule.operation !== undefined && rule.operation !== record.operation) continue;
      if (rule.namedPipe !== undefined && rule.namedPipe.toLowerCase() !== record.namedPipe?.toLowerCase()) continue;
      if (!hostMatches(origHost, record.origHost) || !hostMatches(respHost, record.respHost)) continue;
      return rule;
    }
    return undefined;
  }
}
