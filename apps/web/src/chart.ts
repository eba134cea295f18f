/** A line chart of the last N points on a canvas: enough for live rates, no library. */
export interface Chart {
  push(value: number | undefined): void;
  readonly values: readonly (number | undefined)[];
}

export function createChart(canvas: HTMLCanvasElement, unit: string, points = 60): Chart {
  const values: (number | undefined)[] = [];
  const draw = () => {
    const scale = window.devicePixelRatio || 1;
    const width = canvas.clientWidth * scale || 300;
    const height = canvas.clientHeight * scale || 120;
    canvas.width = width;
    canvas.height = height;
    const context = canvas.getContext('2d');
    if (!context) return;
    const known = values.filter((value): value is number => value !== undefined);
    const max = Math.max(1e-9, ...known) * 1.1;
    const color = getComputedStyle(canvas).color || '#36c';
    context.clearRect(0, 0, width, height);
    context.strokeStyle = color;
    context.lineWidth = 2 * scale;
    context.beginPath();
    let drawing = false;
    values.forEach((value, index) => {
      if (value === undefined) {
        drawing = false;
        return;
      }
      const x = (index / Math.max(points - 1, 1)) * width;
      const y = height - (value / max) * (height - 4 * scale) - 2 * scale;
      if (drawing) context.lineTo(x, y);
      else context.moveTo(x, y);
      drawing = true;
    });
    context.stroke();
    context.fillStyle = color;
    context.font = `${12 * scale}px system-ui, sans-serif`;
    const last = known.at(-1);
    context.fillText(
      `${last === undefined ? '–' : last.toFixed(last < 10 ? 2 : 0)} ${unit} (max ${(max / 1.1).toFixed(1)})`,
      4 * scale,
      14 * scale,
    );
  };
  return {
    values,
    push(value) {
      values.push(value);
      if (values.length > points) values.shift();
      draw();
    },
  };
}
