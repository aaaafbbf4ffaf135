/**
 * What the outbox worker runs on behalf of the features: per purpose, the
 * check just before a message is sent (say no, and it is cancelled); per
 * attachment kind, how to build the file; and the daily job. The features
 * provide them; this is where they are put together.
 */
import type { Deps } from '../deps.js';
import type { AttachmentRenderers, BeforeSendChecks, DailyJob } from '../modules/outbox/index.js';

export interface WorkerHooks {
  readonly beforeSend: BeforeSendChecks;
  readonly attachments: AttachmentRenderers;
  readonly daily: DailyJob | null;
}

// eslint-disable-next-line @typescript-eslint/no-unused-vars -- the features' hooks take the settings and resources from here
export function workerHooks(deps: Deps): WorkerHooks {
  return { beforeSend: {}, attachments: {}, daily: null };
}
