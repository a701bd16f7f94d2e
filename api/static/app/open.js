// The open disputes of a place, every page of them, for the dashboard (the queue is the
// workflow's `workQueue`): `disputes(open: true)`, a page of 100 at a time, oldest report
// first, each page shown as soon as it arrives, the rest read in the background. What is read
// is kept while the page stays open (in memory only).

import { useEffect, useState } from 'preact/hooks';
import { gql } from './api.js';

const PAGE = 100;

const OPEN = `query Open($within: String, $after: String, $count: Boolean!) {
  disputes(within: $within, open: true, first: ${PAGE}, after: $after, orderBy: REPORTED_ON, direction: ASC) {
    totalCount @include(if: $count)
    pageInfo { endCursor hasNextPage }
    items {
      id title reportedOn status warning channel parties
      domain { code name }
      listItem { id name timeLimitDays }
      grid { id name unit { code name parent { code name } } }
      participants { side party { __typename
        ... on Person { id name idNumber mobile }
        ... on Organisation { id name } } }
      handling { step onDate handler { __typename
        ... on Person { id name } ... on Center { id name }
        ... on MediationOrg { id name } ... on Department { id name } } }
    }
  }
}`;

class OpenDisputes {
  constructor(within) {
    this.within = within;
    this.listeners = new Set();
    this.load();
  }

  async load() {
    const run = {};
    this.run = run;
    this.state = { rows: [], total: null, done: false, error: null, started: performance.now() };
    this.notify();
    let after = null;
    try {
      do {
        const data = await gql(OPEN, { within: this.within, after, count: after === null });
        if (this.run !== run) return; // 刷新 started another run
        const page = data.disputes;
        const rows = this.state.rows.concat(page.items.map(shape));
        const total = page.totalCount ?? this.state.total;
        after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
        this.state = { ...this.state, rows, total, done: after === null };
        this.notify();
      } while (after !== null);
    } catch (error) {
      if (this.run === run) {
        this.state = { ...this.state, error, done: true };
        this.notify();
      }
    }
  }

  notify() {
    for (const listener of this.listeners) listener(this.state);
  }
}

// A row as the screens use it: the API's dispute, with its current holder and its place.
function shape(d) {
  const last = d.handling.length ? d.handling[d.handling.length - 1] : null;
  return {
    ...d,
    holder: last ? { name: last.handler.name, step: last.step, onDate: last.onDate } : null,
    village: d.grid?.unit || null,
    town: d.grid?.unit?.parent || null,
  };
}

const kept = new Map();

function source(within) {
  const key = within || '';
  if (!kept.has(key)) kept.set(key, new OpenDisputes(within));
  return kept.get(key);
}

// {rows, total, done, error, started} for `within` (a division code, or null for all), kept
// up to date as pages arrive.
export function useOpenDisputes(within) {
  const src = source(within);
  const [state, setState] = useState(src.state);
  useEffect(() => {
    const s = source(within);
    setState(s.state);
    s.listeners.add(setState);
    return () => s.listeners.delete(setState);
  }, [within]);
  return state;
}

export function forgetOpen() {
  kept.clear(); // on signing out or in: another caller sees other data
}
