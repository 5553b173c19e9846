// The scale bench's plots: SVG files written with echarts' server-side renderer (no browser).
// Each chart is disposed after rendering, and animation is off: otherwise echarts keeps timers
// alive and the bench process does not exit.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as echarts from 'echarts';

const WIDTH = 760;
const HEIGHT = 420;

export interface StartupSeries {
  sizes: number[];
  /** Per size: median ms from spawn to /health/ready, CPU ms used by then, and VmRSS at ready in MB. */
  http: { ms: number[]; cpuMs: number[]; rssMb: number[] };
  worker: { ms: number[]; cpuMs: number[]; rssMb: number[] };
}
export interface InterceptorSeries {
  counts: number[];
  requestsPerSecond: number[];
  cpuMicrosPerRequest: number[];
}
export interface WebSocketSeries {
  connections: number[];
  kbPerConnection: number[];
  p50: number[];
  p99: number[];
}
export interface LeakSeries {
  /** Executions done since the warm-up at each sample (0 = right after it). */
  done: number[];
  rssMb: number[];
  heapMb: number[];
}

function render(file: string, option: echarts.EChartsCoreOption): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: WIDTH, height: HEIGHT });
  try {
    chart.setOption({ animation: false, backgroundColor: '#fff', textStyle: { fontFamily: 'sans-serif' }, ...option });
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, chart.renderToSVGString());
    return file;
  } finally {
    chart.dispose();
  }
}

const round = (v: number, digits = 1) => (Number.isFinite(v) ? Number(v.toFixed(digits)) : null);
const grid = { left: 70, right: 70, top: 60, bottom: 95 };
// Below the axis: at the top it overlaps the axis names.
const legend = { bottom: 5 };
const title = (text: string) => ({ text, left: 'center', textStyle: { fontSize: 14 } });

export function plotStartup(dir: string, s: StartupSeries): string {
  const line = (name: string, data: number[], yAxisIndex: number, dash?: 'dashed' | 'dotted') => ({ name, type: 'line', yAxisIndex, data: data.map((v) => round(v)), symbolSize: 7, lineStyle: dash ? { type: dash } : undefined, label: { show: true, fontSize: 10 } });
  return render(path.join(dir, 'scale-startup.svg'), {
    title: title('Start-up (spawn → /health/ready, and CPU used by then) and RSS at ready'),
    legend,
    grid,
    xAxis: { type: 'category', name: 'routes / handlers', nameLocation: 'middle', nameGap: 30, data: s.sizes.map(String) },
    yAxis: [
      { type: 'value', name: 'ms', min: 0 },
      { type: 'value', name: 'RSS MB', min: 0, splitLine: { show: false } },
    ],
    series: [
      line('http: ms (routes)', s.http.ms, 0),
      line('worker: ms (handlers)', s.worker.ms, 0),
      line('http: CPU ms', s.http.cpuMs, 0, 'dotted'),
      line('worker: CPU ms', s.worker.cpuMs, 0, 'dotted'),
      line('http: RSS MB', s.http.rssMb, 1, 'dashed'),
      line('worker: RSS MB', s.worker.rssMb, 1, 'dashed'),
    ],
  });
}

export function plotInterceptors(dir: string, s: InterceptorSeries): string {
  return render(path.join(dir, 'scale-interceptors.svg'), {
    title: title('GET /hello against the number of no-op interceptors'),
    legend,
    grid,
    xAxis: { type: 'category', name: 'interceptors', nameLocation: 'middle', nameGap: 30, data: s.counts.map(String) },
    yAxis: [
      { type: 'value', name: 'req/s', min: 0 },
      { type: 'value', name: 'CPU µs / request', min: 0, splitLine: { show: false } },
    ],
    series: [
      { name: 'req/s', type: 'bar', yAxisIndex: 0, data: s.requestsPerSecond.map((v) => round(v, 0)), label: { show: true, position: 'top', fontSize: 10 } },
      { name: 'server CPU µs / request', type: 'line', yAxisIndex: 1, data: s.cpuMicrosPerRequest.map((v) => round(v)), symbolSize: 7, label: { show: true, fontSize: 10 } },
    ],
  });
}

export function plotWebSocket(dir: string, s: WebSocketSeries): string {
  return render(path.join(dir, 'scale-websocket.svg'), {
    title: title('WebSocket: host memory per connection and broadcast fan-out latency'),
    legend,
    grid,
    xAxis: { type: 'category', name: 'connections', nameLocation: 'middle', nameGap: 30, data: s.connections.map((c) => c.toLocaleString('en-US')) },
    yAxis: [
      { type: 'value', name: 'KB / connection', min: 0 },
      { type: 'value', name: 'fan-out ms', min: 0, splitLine: { show: false } },
    ],
    series: [
      { name: 'RSS KB / connection', type: 'bar', yAxisIndex: 0, data: s.kbPerConnection.map((v) => round(v)), label: { show: true, position: 'top', fontSize: 10 } },
      { name: 'fan-out p50 ms', type: 'line', yAxisIndex: 1, data: s.p50.map((v) => round(v)), symbolSize: 7, label: { show: true, fontSize: 10 } },
      { name: 'fan-out p99 ms', type: 'line', yAxisIndex: 1, data: s.p99.map((v) => round(v)), symbolSize: 7, label: { show: true, fontSize: 10 } },
    ],
  });
}

export function plotLeak(dir: string, runs: { http?: LeakSeries; worker?: LeakSeries }): string {
  const series: object[] = [];
  const add = (name: string, s: LeakSeries | undefined, dashed: boolean) => {
    if (!s) return;
    const points = (values: number[]) => s.done.map((d, i) => [d / 1000, round(values[i])]);
    series.push({ name: `${name}: RSS MB`, type: 'line', data: points(s.rssMb), symbolSize: 5, lineStyle: dashed ? { type: 'dashed' } : undefined });
    series.push({ name: `${name}: heap used MB`, type: 'line', data: points(s.heapMb), symbolSize: 5, lineStyle: dashed ? { type: 'dashed' } : undefined });
  };
  add('http (requests)', runs.http, false);
  add('worker (messages)', runs.worker, true);
  return render(path.join(dir, 'scale-leak.svg'), {
    title: title('Memory after a full GC, over the leak runs'),
    legend,
    grid,
    xAxis: { type: 'value', name: 'thousands of requests / messages after the warm-up', nameLocation: 'middle', nameGap: 30, min: 0 },
    yAxis: { type: 'value', name: 'MB', min: 0 },
    series,
  });
}
