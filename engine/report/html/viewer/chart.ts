/**
 * A small line chart over iterations (d3-scale, d3-axis, d3-shape): one line per series,
 * loose points (each DPO seed's score) beside them, and a legend. A series with a single
 * value shows as a point, so a one-iteration run still has a picture.
 */
import { axisBottom, axisLeft } from 'd3-axis';
import { scaleLinear, scalePoint } from 'd3-scale';
import { select } from 'd3-selection';
import { line } from 'd3-shape';
import type { LineChart } from '../model.ts';

const WIDTH = 520;
const HEIGHT = 240;
const M = { top: 12, right: 16, bottom: 30, left: 64 };
/** Tableau 10, the first colours: distinct in print and for the common colour deficiencies. */
const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7'];

export function mountChart(host: HTMLElement, chart: LineChart): void {
  const names = [...new Set([...chart.series.map((s) => s.name), ...(chart.points ?? []).map((p) => p.name)])];
  const colour = (name: string) => PALETTE[names.indexOf(name) % PALETTE.length] as string;
  const values = [...chart.series.flatMap((s) => s.values.filter((v): v is number => v !== null)), ...(chart.points ?? []).map((p) => p.y)];
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  // A flat chart (every value equal) still needs a range to draw in.
  const pad = hi > lo ? (hi - lo) * 0.08 : Math.max(Math.abs(hi) * 0.05, 0.01);
  const x = scalePoint<number>().domain(chart.x.map((_, i) => i)).range([M.left, WIDTH - M.right]).padding(0.5);
  const y = scaleLinear().domain([lo - pad, hi + pad]).nice().range([HEIGHT - M.bottom, M.top]);
  const svg = select(host).append('svg').attr('class', 'chart').attr('width', WIDTH).attr('height', HEIGHT).attr('viewBox', `0 0 ${WIDTH} ${HEIGHT}`);
  svg
    .append('g')
    .attr('transform', `translate(0,${HEIGHT - M.bottom})`)
    .call(axisBottom(x).tickFormat((i) => chart.x[i] as string));
  svg.append('g').attr('transform', `translate(${M.left},0)`).call(axisLeft(y).ticks(6));
  svg
    .append('text')
    .attr('transform', `translate(14,${(HEIGHT - M.bottom + M.top) / 2}) rotate(-90)`)
    .attr('text-anchor', 'middle')
    .attr('class', 'axis-title')
    .text(chart.yLabel);
  const path = line<number | null>()
    .defined((v) => v !== null)
    .x((_, i) => x(i) as number)
    .y((v) => y(v as number));
  for (const s of chart.series) {
    const g = svg.append('g').attr('class', 'series');
    g.append('path').attr('fill', 'none').attr('stroke', colour(s.name)).attr('stroke-width', 2).attr('stroke-dasharray', s.dashed ? '6 4' : null).attr('d', path(s.values));
    g.selectAll('circle')
      .data(s.values.map((v, i) => ({ v, i })).filter((p) => p.v !== null))
      .join('circle')
      .attr('cx', (p) => x(p.i) as number)
      .attr('cy', (p) => y(p.v as number))
      .attr('r', 4)
      .attr('fill', colour(s.name))
      .append('title')
      .text((p) => `${s.name}, ${chart.x[p.i]}: ${p.v}`);
  }
  svg
    .append('g')
    .selectAll('circle')
    .data(chart.points ?? [])
    .join('circle')
    .attr('cx', (p) => (x(p.x) as number) + 8)
    .attr('cy', (p) => y(p.y))
    .attr('r', 3)
    .attr('fill', 'none')
    .attr('stroke', (p) => colour(p.name))
    .append('title')
    .text((p) => `${p.name}, ${chart.x[p.x]}: ${p.y}`);
  const legend = select(host).append('ul').attr('class', 'legend');
  const item = legend.selectAll('li').data(names).join('li');
  item.append('span').attr('class', 'swatch').style('background', (n) => colour(n));
  item.append('span').text((n) => n);
}
