// A time chart drawn by uPlot on a canvas (it draws 100k points at frame time), with its
// values on hover (uPlot's cursor and legend) and, for screen readers and anyone who prefers it,
// the same data as a table behind "Show as table". uPlot is loaded when a chart first mounts; a
// page without a 2D canvas shows the table instead.
import { useEffect, useRef, useState, type ReactNode } from 'react';
import type uPlot from 'uplot';

export interface ChartSeries {
  label: string;
  /** One value per x, null for none. */
  values: Array<number | null>;
  color: string;
  /** line: a line; step: a stepped line; points: markers only; bars: columns. */
  kind: 'line' | 'step' | 'points' | 'bars';
  /** Which axis: the left one (default) or the right one. */
  axis?: 'left' | 'right';
  format: (value: number) => string;
}

export interface TimeChartProps {
  /** What the chart shows, in words (its accessible name). */
  label: string;
  /** Dates, YYYY-MM-DD, ascending. */
  dates: string[];
  series: ChartSeries[];
  /** The table shown instead of the chart on request (built only then). */
  table: () => ReactNode;
  height?: number;
  leftAxis: string;
  rightAxis?: string;
  testId?: string;
  /**
   * Drawn once the page is idle after its first paint (at most 250 ms later), so that a chart
   * further down does not hold up the screen's first frame.
   */
  deferred?: boolean;
}

type UPlotClass = typeof uPlot;
let uplotLoad: Promise<UPlotClass> | null = null;
const loadUPlot = () => (uplotLoad ??= import('uplot').then((m) => (m as unknown as { default: UPlotClass }).default ?? (m as unknown as UPlotClass)));

/** Whether this page can draw on a canvas at all (not in a DOM without one). */
function canvasAvailable(): boolean {
  try {
    return !!document.createElement('canvas').getContext('2d');
  } catch {
    return false;
  }
}

const toSeconds = (date: string) => Date.parse(`${date}T00:00:00Z`) / 1000;

export function TimeChart({ label, dates, series, table, height = 260, leftAxis, rightAxis, testId, deferred = false }: TimeChartProps) {
  const [asTable, setAsTable] = useState(false);
  const [drawable] = useState(canvasAvailable);
  const host = useRef<HTMLDivElement>(null);
  const showTable = asTable || !drawable;

  useEffect(() => {
    if (showTable || !host.current) return;
    const el = host.current;
    let chart: uPlot | null = null;
    let cancelled = false;
    let observer: ResizeObserver | null = null;
    const idle = deferred ? new Promise<void>((resolve) => (typeof requestIdleCallback === 'function' ? requestIdleCallback(() => resolve(), { timeout: 250 }) : setTimeout(resolve, 0))) : Promise.resolve();
    void Promise.all([loadUPlot(), idle]).then(([UPlot]) => {
      if (cancelled) return;
      const bars = UPlot.paths.bars?.({ size: [0.6, 24] });
      const stepped = UPlot.paths.stepped?.({ align: 1 });
      const opts: uPlot.Options = {
        width: Math.max(320, el.clientWidth),
        height,
        // Bars centred on their week need half a week of room at each end.
        scales: {
          x: { time: true, ...(series.some((s) => s.kind === 'bars') ? { range: (_u: uPlot, min: number, max: number): uPlot.Range.MinMax => [min - 4 * 86_400, max + 4 * 86_400] } : {}) },
          y: { auto: true },
          y2: { auto: true },
        },
        legend: { show: true, live: true },
        cursor: { points: { size: 8 }, drag: { x: false, y: false } },
        axes: [
          { stroke: '#6b7280', grid: { stroke: '#eef0f3' }, ticks: { stroke: '#e1e4e9' } },
          { label: leftAxis, stroke: '#6b7280', grid: { stroke: '#eef0f3' }, ticks: { stroke: '#e1e4e9' }, size: 56 },
          ...(rightAxis ? [{ label: rightAxis, scale: 'y2', side: 1, stroke: '#6b7280', grid: { show: false }, size: 48 } as uPlot.Axis] : []),
        ],
        series: [
          { label: 'Date', value: (_u, v) => (v == null ? '—' : new Date(v * 1000).toISOString().slice(0, 10)) },
          ...series.map((s): uPlot.Series => ({
            label: s.label,
            scale: s.axis === 'right' ? 'y2' : 'y',
            stroke: s.color,
            width: s.kind === 'points' ? 0 : s.kind === 'bars' ? 1 : 2,
            fill: s.kind === 'bars' ? `${s.color}33` : undefined,
            dash: s.kind === 'step' ? [5, 4] : undefined,
            paths: s.kind === 'points' ? () => null : s.kind === 'bars' ? bars : s.kind === 'step' ? stepped : undefined,
            points: s.kind === 'points' ? { show: true, size: 11, fill: s.color, stroke: '#ffffff', width: 2 } : { show: false },
            spanGaps: s.kind !== 'points',
            value: (_u, v) => (v == null ? '—' : s.format(v)),
          })),
        ],
      };
      chart = new UPlot(opts, [dates.map(toSeconds), ...series.map((s) => s.values)] as uPlot.AlignedData, el);
      observer = new ResizeObserver(() => chart?.setSize({ width: Math.max(320, el.clientWidth), height }));
      observer.observe(el);
    });
    return () => {
      cancelled = true;
      observer?.disconnect();
      chart?.destroy();
    };
  }, [showTable, dates, series, height, leftAxis, rightAxis, deferred]);

  return (
    <div className="chart" data-testid={testId}>
      {drawable && (
        <div className="chart-toolbar">
          <button type="button" className="quiet small" aria-pressed={asTable} onClick={() => setAsTable((v) => !v)}>
            {asTable ? 'Show as chart' : 'Show as table'}
          </button>
        </div>
      )}
      {showTable ? <div className="chart-table">{table()}</div> : <div ref={host} className="chart-canvas" role="img" aria-label={`${label}. Hover for values; "Show as table" lists them.`} />}
    </div>
  );
}
