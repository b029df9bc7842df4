import { Construct } from 'constructs';
import {
  ComputeSecurityPolicy,
  ComputeSecurityPolicyRule,
} from '@cdktf/provider-google/lib/compute-security-policy';

/** ModSecurity CRS 3.3 rule sets Cloud Armor ships as preconfigured WAF rules (OWASP Top 10 coverage). */
export const OWASP_RULE_SETS = [
  'sqli-v33-stable',
  'xss-v33-stable',
  'lfi-v33-stable',
  'rfi-v33-stable',
  'rce-v33-stable',
  'scannerdetection-v33-stable',
  'protocolattack-v33-stable',
  'sessionfixation-v33-stable',
] as const;

const DEFAULT_RULE_PRIORITY = 2147483647;
const RATE_VALID_INTERVALS = [10, 30, 60, 120, 180, 240, 300, 600, 900, 1200, 1800, 2700, 3600];

export interface CloudArmorPolicyProps {
  readonly projectId: string;
  /** Policy name the Gateway's GCPBackendPolicy attaches (names.CLOUD_ARMOR_POLICY_NAME). */
  readonly name: string;
  /** @default 'enforce' — 'preview' only logs what the OWASP rules would block; 'off' leaves them out. */
  readonly owaspRulesMode?: 'off' | 'preview' | 'enforce';
  /** @default 1 — CRS paranoia level: 1 has the fewest false positives. */
  readonly owaspSensitivity?: number;
  /** @default 600 — requests per client IP per interval before the ban. */
  readonly rateLimitRequests?: number;
  /** @default 60 */
  readonly rateLimitIntervalSeconds?: number;
  /** @default 600 — how long an IP over the limit is banned. */
  readonly banDurationSeconds?: number;
  /** @default false — Adaptive Protection (ML-based L7 DDoS alerts and suggested rules). */
  readonly adaptiveProtection?: boolean;
}

/**
 * The edge security policy of the public entry point: the OWASP
 * preconfigured WAF rule sets (403 when enforced), a rate-based ban per
 * client IP (429), JSON-aware body parsing, and optional Adaptive Protection.
 */
export class CloudArmorPolicy extends Construct {
  readonly policy: ComputeSecurityPolicy;
  readonly policyName: string;
  readonly policySelfLink: string;
  /** Priorities of the OWASP rules by rule set, for tests and exclusions. */
  readonly policyOwaspRulePriorities: Readonly<Record<string, number>>;

  constructor(scope: Construct, id: string, props: CloudArmorPolicyProps) {
    super(scope, id);
    const sensitivity = props.owaspSensitivity ?? 1;
    if (!Number.isInteger(sensitivity) || sensitivity < 1 || sensitivity > 4) {
      throw new Error(`CloudArmorPolicy ${id}: owaspSensitivity must be 1..4, got ${sensitivity}`);
    }
    const interval = props.rateLimitIntervalSeconds ?? 60;
    if (!RATE_VALID_INTERVALS.includes(interval)) {
      throw new Error(
        `CloudArmorPolicy ${id}: rateLimitIntervalSeconds must be one of ${RATE_VALID_INTERVALS.join(', ')}, got ${interval}`,
      );
    }
    const requests = props.rateLimitRequests ?? 600;
    if (!Number.isInteger(requests) || requests < 1) {
      throw new Error(
        `CloudArmorPolicy ${id}: rateLimitRequests must be a positive integer, got ${requests}`,
      );
    }
    const preview = (props.owaspRulesMode ?? 'enforce') === 'preview';
    const priorities: Record<string, number> = {};
    const ruleSets = props.owaspRulesMode === 'off' ? [] : OWASP_RULE_SETS;
    const owasp: ComputeSecurityPolicyRule[] = ruleSets.map((ruleSet, i) => {
      const priority = 1000 + i * 10;
      priorities[ruleSet] = priority;
      return {
        priority,
        action: 'deny(403)',
        preview,
        description: `OWASP CRS ${ruleSet}`,
        match: {
          expr: { expression: `evaluatePreconfiguredWaf('${ruleSet}', {'sensitivity': ${sensitivity}})` },
        },
      };
    });
    const rateBan: ComputeSecurityPolicyRule = {
      priority: 2000,
      action: 'rate_based_ban',
      description: `Ban a client IP for ${props.banDurationSeconds ?? 600}s after ${requests} requests in ${interval}s`,
      match: { versionedExpr: 'SRC_IPS_V1', config: { srcIpRanges: ['*'] } },
      rateLimitOptions: {
        conformAction: 'allow',
        exceedAction: 'deny(429)',
        enforceOnKey: 'IP',
        rateLimitThreshold: { count: requests, intervalSec: interval },
        banDurationSec: props.banDurationSeconds ?? 600,
      },
    };
    const allow: ComputeSecurityPolicyRule = {
      priority: DEFAULT_RULE_PRIORITY,
      action: 'allow',
      description: 'Default: allow what no rule above stopped',
      match: { versionedExpr: 'SRC_IPS_V1', config: { srcIpRanges: ['*'] } },
    };
    this.policy = new ComputeSecurityPolicy(this, 'policy', {
      project: props.projectId,
      name: props.name,
      type: 'CLOUD_ARMOR',
      description: 'walk-service edge: OWASP WAF, per-IP rate ban',
      advancedOptionsConfig: { jsonParsing: 'STANDARD', logLevel: 'NORMAL' },
      adaptiveProtectionConfig: props.adaptiveProtection
        ? { layer7DdosDefenseConfig: { enable: true, ruleVisibility: 'STANDARD' } }
        : undefined,
      rule: [...owasp, rateBan, allow],
    });
    this.policyName = props.name;
    this.policySelfLink = this.policy.selfLink;
    this.policyOwaspRulePriorities = priorities;
  }
}
