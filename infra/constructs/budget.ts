import { Construct } from 'constructs';
import { BillingBudget } from '@cdktf/provider-google/lib/billing-budget';

export interface BudgetProps {
  /** Billing account id `XXXXXX-XXXXXX-XXXXXX`. */
  readonly billingAccount: string;
  /** Project number (not id) the budget watches. */
  readonly projectNumber: string;
  readonly displayName: string;
  /** Monthly amount in whole units of the billing account's currency. */
  readonly monthlyAmount: number;
  /** ISO currency; must be the billing account's. */
  readonly currencyCode: string;
  /** @default [0.5, 0.9, 1] — fractions of the amount that notify. */
  readonly alertThresholds?: readonly number[];
  /** @default [] — Cloud Monitoring notification channel ids, besides billing admins. */
  readonly notificationChannels?: readonly string[];
}

/**
 * A monthly budget on one project: billing admins (and the given channels)
 * are told at each threshold of actual spend, and at 100 % of forecast.
 * A budget alerts; it never caps spend.
 */
export class Budget extends Construct {
  readonly budget: BillingBudget;
  readonly budgetThresholds: readonly number[];

  constructor(scope: Construct, id: string, props: BudgetProps) {
    super(scope, id);
    if (!Number.isInteger(props.monthlyAmount) || props.monthlyAmount < 1) {
      throw new Error(
        `Budget ${id}: monthlyAmount must be a positive whole amount, got ${props.monthlyAmount}`,
      );
    }
    const thresholds = props.alertThresholds ?? [0.5, 0.9, 1];
    const bad = thresholds.find((t) => !(t > 0 && t <= 2));
    if (bad !== undefined) throw new Error(`Budget ${id}: alertThresholds must be in (0, 2], got ${bad}`);
    this.budgetThresholds = thresholds;
    const channels = props.notificationChannels ?? [];
    this.budget = new BillingBudget(this, 'budget', {
      billingAccount: props.billingAccount,
      displayName: props.displayName,
      budgetFilter: {
        projects: [`projects/${props.projectNumber}`],
        calendarPeriod: 'MONTH',
        creditTypesTreatment: 'INCLUDE_ALL_CREDITS',
      },
      amount: { specifiedAmount: { currencyCode: props.currencyCode, units: String(props.monthlyAmount) } },
      thresholdRules: [
        ...thresholds.map((t) => ({ thresholdPercent: t, spendBasis: 'CURRENT_SPEND' })),
        { thresholdPercent: 1, spendBasis: 'FORECASTED_SPEND' },
      ],
      allUpdatesRule:
        channels.length > 0
          ? { monitoringNotificationChannels: [...channels], disableDefaultIamRecipients: false }
          : undefined,
    });
  }
}
