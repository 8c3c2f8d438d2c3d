import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { Empty, errorText, Loading, Time } from '../components/ui';
import type { Tenant } from '../types';

const createTenant = `curl -X POST localhost:8080/api/tenants -H "Authorization: Bearer $OP" -d '{"slug": "acme", "name": "Acme"}'`;

/** The operator's first page: pick the tenant to act in (as its admin). */
export function ChooseTenant({ onChoose }: { onChoose: (slug: string) => void }) {
  const [tenants, setTenants] = useState<Tenant[] | null>(null);
  const [err, setErr] = useState('');
  useEffect(() => {
    api
      .tenants()
      .then((r) => setTenants(r.tenants ?? []))
      .catch((e) => setErr(errorText(e, 'Could not list tenants')));
  }, []);
  return (
    <section>
      <h1 tabIndex={-1}>Choose a tenant</h1>
      <p class="muted">
        You are signed in with the operator key. Scripts, executions and dead letters belong to a tenant: choose one to
        act in it as its admin. You can switch at any time from the header.
      </p>
      {err && <p class="field-error" role="alert">{err}</p>}
      {tenants === null && !err && <Loading what="tenants" />}
      {tenants?.length === 0 && (
        <Empty title="No tenants yet">
          <p>
            Create one with the API, for example:
            <br />
            <code>{createTenant}</code>
          </p>
        </Empty>
      )}
      {tenants && tenants.length > 0 && (
        <table class="table">
          <caption class="visually-hidden">Tenants</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Slug</th>
              <th scope="col">Created</th>
              <th scope="col">
                <span class="visually-hidden">Action</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {tenants.map((t) => (
              <tr key={t.id}>
                <td>{t.name}</td>
                <td>
                  <code>{t.slug}</code>
                </td>
                <td>
                  <Time iso={t.createdAt} />
                </td>
                <td>
                  <button type="button" onClick={() => onChoose(t.slug)}>
                    Act in {t.name}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
