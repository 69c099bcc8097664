/**
 * The few Superset REST calls `olist bi` and its tests need: login (JWT), the CSRF token that
 * writes require, the asset import (which overwrites what exists: re-running updates in place),
 * and reading charts, dashboards and chart data.
 */
import fs from 'node:fs/promises';
import path from 'node:path';

export interface ChartData {
  colnames: string[];
  data: Array<Record<string, unknown>>;
  rowcount: number;
  error?: string | null;
  status?: string;
}

export class SupersetApi {
  private token = '';
  private csrf = '';
  private cookie = '';

  constructor(readonly baseUrl: string) {}

  static async login(baseUrl: string, username: string, password: string): Promise<SupersetApi> {
    const api = new SupersetApi(baseUrl);
    const res = await api.raw('POST', '/api/v1/security/login', { username, password, provider: 'db', refresh: false });
    api.token = (res as { access_token: string }).access_token;
    return api;
  }

  private async raw(method: string, route: string, body?: unknown, form?: FormData): Promise<unknown> {
    const headers: Record<string, string> = { Accept: 'application/json', Referer: this.baseUrl };
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    if (this.cookie) headers.Cookie = this.cookie;
    if (this.csrf) headers['X-CSRFToken'] = this.csrf;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(`${this.baseUrl}${route}`, { method, headers, body: form ?? (body === undefined ? undefined : JSON.stringify(body)) });
    const cookies = res.headers.getSetCookie().map((c) => c.split(';')[0]);
    if (cookies.length) this.cookie = cookies.join('; ');
    const text = await res.text();
    if (!res.ok) throw new Error(`Superset ${method} ${route}: HTTP ${res.status} ${text.slice(0, 500)}`);
    return text ? JSON.parse(text) : {};
  }

  get<T>(route: string): Promise<T> {
    return this.raw('GET', route) as Promise<T>;
  }

  /** Writes need the session's CSRF token (and its cookie) besides the bearer token. */
  private async ensureCsrf(): Promise<void> {
    if (!this.csrf) this.csrf = ((await this.raw('GET', '/api/v1/security/csrf_token/')) as { result: string }).result;
  }

  async put<T>(route: string, body: unknown): Promise<T> {
    await this.ensureCsrf();
    return this.raw('PUT', route, body) as Promise<T>;
  }

  /**
   * Imports an asset bundle (databases, datasets, charts, dashboards), overwriting the assets of
   * the same uuids. `passwords` maps a database file of the bundle to its password (the URI in
   * the bundle has it masked).
   */
  async importAssets(zipPath: string, passwords: Record<string, string>): Promise<void> {
    await this.ensureCsrf();
    const form = new FormData();
    form.append('bundle', new Blob([await fs.readFile(zipPath)], { type: 'application/zip' }), path.basename(zipPath));
    form.append('passwords', JSON.stringify(passwords));
    await this.raw('POST', '/api/v1/assets/import/', undefined, form);
  }

  /** Every chart (id, name, uuid-free fields), up to 1,000. */
  async charts(): Promise<Array<{ id: number; slice_name: string; viz_type: string }>> {
    const q = encodeURIComponent('(page_size:1000,columns:!(id,slice_name,viz_type))');
    return (await this.get<{ result: Array<{ id: number; slice_name: string; viz_type: string }> }>(`/api/v1/chart/?q=${q}`)).result;
  }

  async dashboards(): Promise<Array<{ id: number; dashboard_title: string; slug: string }>> {
    const q = encodeURIComponent('(page_size:1000,columns:!(id,dashboard_title,slug))');
    return (await this.get<{ result: Array<{ id: number; dashboard_title: string; slug: string }> }>(`/api/v1/dashboard/?q=${q}`)).result;
  }

  async dashboardCharts(idOrSlug: number | string): Promise<Array<{ id: number; slice_name: string }>> {
    return (await this.get<{ result: Array<{ id: number; slice_name: string }> }>(`/api/v1/dashboard/${idOrSlug}/charts`)).result;
  }

  /** A chart's data as its saved query context asks for it (the chart-data API). */
  async chartData(chartId: number): Promise<ChartData[]> {
    return (await this.get<{ result: ChartData[] }>(`/api/v1/chart/${chartId}/data/?format=json&type=full&force=true`)).result;
  }
}
