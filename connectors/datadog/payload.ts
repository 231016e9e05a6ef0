/**
 * The body of the payload template to paste into Datadog's webhook (see the README):
 * {"id": "$ID", "alert_id": "$ALERT_ID", "transition": "$ALERT_TRANSITION", "title": "$EVENT_TITLE",
 *  "priority": "$ALERT_PRIORITY", "tags": "$TAGS", "link": "$LINK", "date": "$DATE", "query": "$ALERT_QUERY"}
 */
import { z } from 'zod';

export const datadogPayload = z.looseObject({
  id: z.string().describe('$ID, the event id'),
  alert_id: z.string().optional(),
  transition: z.string().optional().describe('$ALERT_TRANSITION: Triggered, Recovered, …'),
  title: z.string().optional(),
  priority: z.string().optional(),
  tags: z.string().optional().describe('$TAGS, comma-separated'),
  link: z.string().optional(),
  date: z.string().optional(),
  query: z.string().optional(),
});

export type DatadogPayload = z.output<typeof datadogPayload>;
