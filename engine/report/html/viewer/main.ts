/**
 * The report page's script: reads the data the page embeds as JSON and mounts a chart or a
 * tree viewer on every element that asks for one.
 */
import type { ViewerData } from '../model.ts';
import { mountChart } from './chart.ts';
import { mountTreeViewer } from './tree-view.ts';

const data = JSON.parse((document.getElementById('dits-data') as HTMLScriptElement).textContent as string) as ViewerData;
for (const el of document.querySelectorAll<HTMLElement>('[data-chart]')) mountChart(el, data.charts[el.dataset.chart as string] as ViewerData['charts'][string]);
for (const el of document.querySelectorAll<HTMLElement>('[data-trees]')) mountTreeViewer(el, data.trees[el.dataset.trees as string] as ViewerData['trees'][string]);
