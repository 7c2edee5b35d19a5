import { Cron } from 'croner';
import { parseDuration } from '../../spi/kit/duration';

/** A parsed Dapr cron schedule: when it fires next, in which time zone. */
export interface CronSchedule {
  timeZone: string;
  /** Next firing strictly after `from`, or undefined when the schedule never fires again. */
  next(from: Date): Date | undefined;
}

// robfig/cron descriptors Dapr accepts (cron.Descriptor parser option).
const DESCRIPTORS: Record<string, string> = {
  '@yearly': '0 0 0 1 1 *',
  '@annually': '0 0 0 1 1 *',
  '@monthly': '0 0 0 1 * *',
  '@weekly': '0 0 0 * * 0',
  '@daily': '0 0 0 * * *',
  '@midnight': '0 0 0 * * *',
  '@hourly': '0 0 * * * *',
};

/**
 * Parses a schedule the way Dapr's cron binding does (robfig/cron with
 * SecondOptional | Descriptor): 5 fields, or 6 with seconds first;
 * `@every <Go duration>`; `@hourly`-style descriptors; an optional
 * `CRON_TZ=Zone ` / `TZ=Zone ` prefix. `defaultTimeZone` is used when the
 * schedule names none. Throws with a readable message on anything else.
 */
export function parseCronSchedule(spec: string, defaultTimeZone?: string): CronSchedule {
  let schedule = spec.trim();
  let timeZone = defaultTimeZone;
  const tz = /^(?:CRON_TZ|TZ)=(\S+)\s+(.*)$/.exec(schedule);
  if (tz) {
    timeZone = tz[1];
    schedule = tz[2].trim();
  }
  timeZone ??= Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (!isValidTimeZone(timeZone)) throw new Error(`unknown time zone "${timeZone}"`);

  if (schedule.startsWith('@every')) {
    const ms = parseDuration(schedule.slice('@every'.length).trim());
    if (ms === undefined || ms <= 0) throw new Error(`"${spec}" is not "@every <duration>" (e.g. @every 5s)`);
    // robfig rounds the interval down to whole seconds, with a 1 s minimum.
    const every = Math.max(1000, Math.floor(ms / 1000) * 1000);
    return {
      timeZone,
      next: (from) => new Date(Math.floor(from.getTime() / 1000) * 1000 + every),
    };
  }

  const pattern = schedule.startsWith('@') ? DESCRIPTORS[schedule.toLowerCase()] : schedule;
  if (!pattern) throw new Error(`unknown descriptor "${schedule}"; use one of ${Object.keys(DESCRIPTORS).join(', ')} or @every <duration>`);
  const fields = pattern.split(/\s+/).length;
  if (fields !== 5 && fields !== 6) throw new Error(`"${schedule}" must have 5 or 6 fields (seconds first), got ${fields}`);
  // robfig ORs day-of-month and day-of-week when both are restricted, like Vixie cron.
  const cron = new Cron(pattern, { timezone: timeZone, paused: true, mode: '5-or-6-parts', domAndDow: false });
  return {
    timeZone,
    next: (from) => cron.nextRun(from) ?? undefined,
  };
}

function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
