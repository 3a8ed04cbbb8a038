package sim

import (
	"bufio"
	"errors"
	"fmt"
	"html"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// chart geometry, in SVG user units.
const (
	chartW      = 1100
	panelH      = 220
	panelGap    = 60
	marginL     = 80
	marginR     = 190
	marginT     = 80
	marginB     = 50
	plotW       = chartW - marginL - marginR
	chartPanels = 3
	chartH      = marginT + chartPanels*panelH + (chartPanels-1)*panelGap + marginB
)

// palette colours one line per policy, in order; it is readable on white
// and for the common kinds of colour blindness.
var palette = []string{"#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000", "#f0e442"}

// WriteSVG draws results as an SVG chart that a browser opens: goodput,
// attempts per second and queue length over time, one line per result,
// with the fault window shaded. The results should come from one scenario.
func WriteSVG(w io.Writer, results []*Result) error {
	if len(results) == 0 {
		return errors.New("sim: no results to chart")
	}
	bw := bufio.NewWriter(w)
	first := results[0]
	dur := first.Setup.Duration
	if dur <= 0 {
		dur = time.Duration(len(first.Windows)) * WindowSize
	}
	fmt.Fprintf(bw, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n",
		chartW, chartH, chartW, chartH)
	fmt.Fprintf(bw, `<rect width="%d" height="%d" fill="#ffffff"/>`+"\n", chartW, chartH)
	title := "rampart sim: " + first.Summary.Scenario
	if d := first.Setup.Description; d != "" {
		title += " — " + d
	}
	fmt.Fprintf(bw, `<text x="%d" y="24" font-size="16" font-weight="bold">%s</text>`+"\n", marginL, esc(title))
	sc := first.Setup
	fmt.Fprintf(bw, `<text x="%d" y="42" fill="#444">%d clients, %g requests/s in all, %d workers, %s service time of mean %v, %v timeout per attempt, seed %d</text>`+"\n",
		marginL, sc.Clients, sc.Rate, sc.Workers, esc(sc.Service.Kind), sc.Service.Mean, sc.Timeout, sc.Seed)

	maxAttempts := 1.0
	maxQueue := 1.0
	for _, r := range results {
		for _, w := range r.Windows {
			maxAttempts = math.Max(maxAttempts, float64(w.Attempts)/WindowSize.Seconds())
			maxQueue = math.Max(maxQueue, w.Queue)
		}
	}
	queueTop := math.Pow(10, math.Ceil(math.Log10(maxQueue+1)))
	panels := []struct {
		title string
		top   float64 // data value at the top of the panel
		ticks []float64
		label func(float64) string
		value func(Window) float64
		log   bool
	}{
		{"goodput (successful requests ÷ requests, by arrival second)", 1, []float64{0, 0.25, 0.5, 0.75, 1},
			func(v float64) string { return strconv.Itoa(int(math.Round(v*100))) + "%" },
			func(w Window) float64 { return w.Goodput() }, false},
		{"attempts sent per second (load on the server)", niceCeil(maxAttempts), linearTicks(niceCeil(maxAttempts)),
			func(v float64) string { return siLabel(v) },
			func(w Window) float64 { return float64(w.Attempts) / WindowSize.Seconds() }, false},
		{"mean queue length (log scale)", queueTop, logTicks(queueTop),
			func(v float64) string { return siLabel(v) },
			func(w Window) float64 { return w.Queue }, true},
	}
	xOf := func(t time.Duration) float64 { return marginL + plotW*float64(t)/float64(dur) }
	for i, p := range panels {
		top := float64(marginT + i*(panelH+panelGap))
		yOf := func(v float64) float64 {
			frac := v / p.top
			if p.log {
				frac = math.Log10(v+1) / math.Log10(p.top+1)
			}
			return top + panelH*(1-math.Min(math.Max(frac, 0), 1))
		}
		fmt.Fprintf(bw, `<text x="%d" y="%.1f" font-weight="bold">%s</text>`+"\n", marginL, top-10, esc(p.title))
		if first.FaultEnd > first.FaultStart {
			x0, x1 := xOf(first.FaultStart), xOf(min(first.FaultEnd, dur))
			fmt.Fprintf(bw, `<rect x="%.1f" y="%.1f" width="%.1f" height="%d" fill="#f4cccc" opacity="0.7"/>`+"\n", x0, top, x1-x0, panelH)
			if i == 0 {
				fmt.Fprintf(bw, `<text x="%.1f" y="%.1f" fill="#a33" font-size="11">fault</text>`+"\n", x0+3, top+12)
			}
		}
		for _, tv := range p.ticks {
			y := yOf(tv)
			fmt.Fprintf(bw, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/>`+"\n", marginL, y, marginL+plotW, y)
			fmt.Fprintf(bw, `<text x="%d" y="%.1f" text-anchor="end">%s</text>`+"\n", marginL-6, y+4, esc(p.label(tv)))
		}
		for _, t := range timeTicks(dur) {
			x := xOf(t)
			fmt.Fprintf(bw, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#999"/>`+"\n", x, top+panelH, x, top+panelH+4)
			fmt.Fprintf(bw, `<text x="%.1f" y="%.1f" text-anchor="middle">%ds</text>`+"\n", x, top+panelH+17, int(t.Seconds()))
		}
		fmt.Fprintf(bw, `<rect x="%d" y="%.1f" width="%d" height="%d" fill="none" stroke="#333"/>`+"\n", marginL, top, plotW, panelH)
		for k, r := range results {
			var pts strings.Builder
			for j, w := range r.Windows {
				if j > 0 {
					pts.WriteByte(' ')
				}
				mid := w.Start + min(WindowSize, dur-w.Start)/2
				fmt.Fprintf(&pts, "%.1f,%.1f", xOf(mid), yOf(p.value(w)))
			}
			fmt.Fprintf(bw, `<polyline fill="none" stroke="%s" stroke-width="1.8" stroke-linejoin="round" points="%s"/>`+"\n",
				palette[k%len(palette)], pts.String())
		}
	}
	fmt.Fprintf(bw, `<text x="%d" y="%d" text-anchor="middle">simulated time</text>`+"\n", marginL+plotW/2, chartH-12)
	// Legend, with each policy's headline figures.
	lx := marginL + plotW + 20
	for k, r := range results {
		y := marginT + 10 + k*64
		s := r.Summary
		fmt.Fprintf(bw, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="3"/>`+"\n", lx, y, lx+24, y, palette[k%len(palette)])
		fmt.Fprintf(bw, `<text x="%d" y="%d" font-weight="bold">%s</text>`+"\n", lx+30, y+4, esc(s.Policy))
		rec := "never recovers"
		if s.RecoverySeconds != nil {
			rec = "recovers in " + strconv.FormatFloat(*s.RecoverySeconds, 'f', -1, 64) + "s"
		}
		fmt.Fprintf(bw, `<text x="%d" y="%d" font-size="11" fill="#444">goodput %.1f%%</text>`+"\n", lx+30, y+18, s.Goodput*100)
		fmt.Fprintf(bw, `<text x="%d" y="%d" font-size="11" fill="#444">attempts ÷ requests %.2f</text>`+"\n", lx+30, y+31, s.Amplification)
		fmt.Fprintf(bw, `<text x="%d" y="%d" font-size="11" fill="#444">%s</text>`+"\n", lx+30, y+44, esc(rec))
	}
	fmt.Fprintln(bw, "</svg>")
	return bw.Flush()
}

func esc(s string) string { return html.EscapeString(s) }

// niceCeil rounds v up to 1, 2 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

func linearTicks(top float64) []float64 {
	var t []float64
	for i := 0; i <= 4; i++ {
		t = append(t, top*float64(i)/4)
	}
	return t
}

func logTicks(top float64) []float64 {
	var t []float64 // 0 sits just below 1 on this scale: label from 1 up
	for v := 1.0; v <= top && v <= 1e12; v *= 10 {
		t = append(t, v)
	}
	return t
}

func timeTicks(dur time.Duration) []time.Duration {
	step := time.Duration(niceCeil(dur.Seconds()/10)) * time.Second
	var t []time.Duration
	for x := time.Duration(0); x <= dur; x += step {
		t = append(t, x)
	}
	return t
}

// siLabel writes v with a k or M suffix.
func siLabel(v float64) string {
	switch {
	case v >= 1e6:
		return strconv.FormatFloat(v/1e6, 'f', -1, 64) + "M"
	case v >= 1e3:
		return strconv.FormatFloat(v/1e3, 'f', -1, 64) + "k"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}
