import { billing } from '@switchyard/contracts';

/** The budget periods billing supports (UTC calendar day or month). */
export type SupportedPeriod = billing.BudgetPeriod.DAY | billing.BudgetPeriod.MONTH;

/** True for the periods billing supports. */
export function isSupportedPeriod(period: number): period is SupportedPeriod {
  return period === billing.BudgetPeriod.DAY || period === billing.BudgetPeriod.MONTH;
}

/** Start of the period after the one starting at `start`. */
export function periodEnd(period: SupportedPeriod, start: Date): Date {
  return period === billing.BudgetPeriod.DAY
    ? new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), start.getUTCDate() + 1))
    : new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1));
}

/** "day" or "month", for messages. */
export function periodName(period: SupportedPeriod): string {
  return period === billing.BudgetPeriod.DAY ? 'day' : 'month';
}
