/** Tree shape from a parent array, shared by the page builder (Node) and the viewer (browser). */

/** Children of each node in index order, which is creation order: the order `node_path` counts in. */
export function childLists(parent: readonly number[]): number[][] {
  const children: number[][] = parent.map(() => []);
  parent.forEach((p, i) => {
    if (p >= 0) (children[p] as number[]).push(i);
  });
  return children;
}
