import { Construct } from 'constructs';
import { BinaryAuthorizationPolicy } from '@cdktf/provider-google/lib/binary-authorization-policy';

export interface BinaryAuthorizationProps {
  readonly projectId: string;
  /** Image name patterns allowed to run, e.g. `asia-northeast1-docker.pkg.dev/p/tekutoko/**`. */
  readonly allowedImagePatterns: readonly string[];
  /** @default 'ENFORCED_BLOCK_AND_AUDIT_LOG' — 'DRYRUN_AUDIT_LOG_ONLY' only logs. */
  readonly enforcementMode?: 'ENFORCED_BLOCK_AND_AUDIT_LOG' | 'DRYRUN_AUDIT_LOG_ONLY';
}

/**
 * The project's Binary Authorization policy: only images from the allowed
 * registries (ours, plus Google's system images through the global policy)
 * may run; everything else is denied and audit-logged.
 */
export class BinaryAuthorization extends Construct {
  readonly policy: BinaryAuthorizationPolicy;

  constructor(scope: Construct, id: string, props: BinaryAuthorizationProps) {
    super(scope, id);
    if (props.allowedImagePatterns.length === 0) {
      throw new Error(`BinaryAuthorization ${id}: allowedImagePatterns must name at least one registry path`);
    }
    this.policy = new BinaryAuthorizationPolicy(this, 'policy', {
      project: props.projectId,
      description: 'Only images from our Artifact Registry (and Google system images) run',
      globalPolicyEvaluationMode: 'ENABLE',
      admissionWhitelistPatterns: props.allowedImagePatterns.map((namePattern) => ({ namePattern })),
      defaultAdmissionRule: {
        evaluationMode: 'ALWAYS_DENY',
        enforcementMode: props.enforcementMode ?? 'ENFORCED_BLOCK_AND_AUDIT_LOG',
      },
    });
  }
}
