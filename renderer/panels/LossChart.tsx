/**
 * The live loss chart of a fine-tune: training loss and validation loss by
 * step, drawn by uPlot (a small canvas chart that redraws thousands of points
 * in well under a frame). The plot is created once and fed with setData, so a
 * step event costs a redraw, not a new chart; it follows its box's width.
 */
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { useMessages } from '../i18n';
import { trainMessages } from '../i18n/messages/train';

export interface LossChartProps {
  data: [number[], (number | null)[], (number | null)[]];
  height?: number;
}

const TRAIN_COLOUR = '#4f7bd9';
const VAL_COLOUR = '#d9822b';

interface Labels {
  step: string;
  train: string;
  val: string;
}

function options(width: number, height: number, text: string, grid: string, labels: Labels): uPlot.Options {
  const axis = { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 }, font: '11px system-ui, sans-serif' };
  return {
    width,
    height,
    legend: { show: true, live: false },
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: false } },
    axes: [{ ...axis, label: labels.step, labelSize: 16, labelFont: '11px system-ui, sans-serif' }, { ...axis, size: 44 }],
    series: [
      { label: labels.step },
      { label: labels.train, stroke: TRAIN_COLOUR, width: 1.5, spanGaps: true, points: { show: false } },
      { label: labels.val, stroke: VAL_COLOUR, width: 2, spanGaps: true, points: { show: true, size: 5, fill: VAL_COLOUR } },
    ],
  };
}

export function LossChart({ data, height = 180 }: LossChartProps) {
  const t = useMessages(trainMessages);
  const step = t('chartStep');
  const train = t('chartTrain');
  const val = t('chartVal');
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const latest = useRef(data);
  latest.current = data;

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const style = getComputedStyle(el);
    const text = style.color || '#666';
    const grid = style.getPropertyValue('--line').trim() || 'rgba(128,128,128,0.25)';
    const u = new uPlot(options(Math.max(200, el.clientWidth), height, text, grid, { step, train, val }), latest.current, el);
    plot.current = u;
    // Follow the side panel's width; ResizeObserver is missing only in very old engines.
    const ro = typeof ResizeObserver === 'undefined' ? null : new ResizeObserver(() => u.setSize({ width: Math.max(200, el.clientWidth), height }));
    ro?.observe(el);
    return () => {
      ro?.disconnect();
      u.destroy();
      plot.current = null;
    };
    // A language switch rebuilds the plot (its legend and axis labels are set at creation).
  }, [height, step, train, val]);

  useEffect(() => {
    plot.current?.setData(data);
  }, [data]);

  const points = data[0].length;
  return (
    <figure className="loss-chart" aria-label={t('chartLabel')} data-points={points}>
      <div ref={box} className="loss-chart-plot" />
      {points === 0 && <figcaption className="panel-progress">{t('chartEmpty')}</figcaption>}
    </figure>
  );
}
