/**
 * `hooklaunch export`: the running service's triggers as a YAML file `hooklaunch apply -f` takes
 * back unchanged. Configs come from the admin API as GET shows them: `${env:…}` references as
 * written, a stored secret as `[sealed]` (it is sealed in the store and never leaves it; applying
 * the placeholder keeps it). File-managed triggers only with `all`, marked as such (apply skips them).
 */
import { Document, isMap, isScalar, isSeq, visit } from 'yaml';
import { SEALED_SHOWN } from '../triggers/sealed-secrets.js';
import { apiManagedIds } from './apply-triggers.js';
import { refusalMessage, type AdminClient } from './admin-client.js';

// How GET shows a secret written in clear in hooklaunch.yaml (trigger-routes.ts).
const REDACTED_SHOWN = '[redacted]';

export async function exportTriggers(client: AdminClient, options: { all: boolean }): Promise<string> {
  const listed = await client.call('GET', '/api/v0/triggers/');
  if (listed.status !== 200) throw new Error(`the triggers were not listed: ${refusalMessage(listed)}`);
  const fileIds = ((listed.body as { triggers?: Array<{ id: string; managed_by: string }> }).triggers ?? []).filter((t) => t.managed_by === 'file').map((t) => t.id);
  const ids = [...apiManagedIds(listed.body), ...(options.all ? fileIds : [])];
  const views: Array<{ config: unknown; source?: string }> = [];
  for (const id of ids) {
    const answer = await client.call('GET', `/api/v0/triggers/${encodeURIComponent(id)}/`);
    if (answer.status !== 200) throw new Error(`trigger ${id} was not read: ${refusalMessage(answer)}`);
    const view = answer.body as { config: unknown; managed_by: string; file?: string; line?: number | null };
    views.push({ config: view.config, ...(view.managed_by === 'file' && { source: `${view.file}${view.line == null ? '' : `:${view.line}`}` }) });
  }
  const doc = new Document({ triggers: views.map((v) => v.config) });
  doc.commentBefore = ` ${views.length} trigger(s) exported from ${client.base}; apply with: hooklaunch apply -f <this file>`;
  const list = (doc.contents as { get(key: string, keepScalar: true): unknown }).get('triggers', true);
  if (isSeq(list)) {
    list.items.forEach((item, index) => {
      const source = views[index]!.source;
      if (source && isMap(item)) item.commentBefore = ` managed by ${source}: change it there (apply skips it)`;
    });
  }
  visit(doc, {
    Scalar(_key, node) {
      if (!isScalar(node)) return;
      if (node.value === SEALED_SHOWN) node.comment = ' sealed in the store, not exported; "[sealed]" keeps it (write ${env:NAME} or a new value to change it)';
      if (node.value === REDACTED_SHOWN) node.comment = ' written in clear in its file, not exported';
    },
  });
  return doc.toString({ lineWidth: 0 });
}
