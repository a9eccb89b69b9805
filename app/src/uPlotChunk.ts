// uPlot and its stylesheet, in a chunk of their own: loaded when a stream's first number arrives,
// so a page that never meets one never fetches them.
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

export default uPlot;
