package main

import (
	"fmt"
	"io"
	"math"
	"runtime"
	"strings"
	"time"

	"github.com/partnerportal/portal/internal/portal"
)

// opsList formats requests per run, e.g. "`BatchGetItem` ×5 + `TransactWriteItems` ×500";
// only the DynamoDB ones when dynamoOnly, only the others otherwise.
func opsList(ops []opStat, runs int, dynamoOnly bool) string {
	var parts []string
	for _, o := range ops {
		if dynamoOps[o.Op] != dynamoOnly {
			continue
		}
		part := fmt.Sprintf("`%s` ×%s", o.Op, perRun(o.Count, runs))
		if dynamoOnly {
			unit := "WCU"
			if readOps[o.Op] {
				unit = "RCU"
			}
			part += fmt.Sprintf(" (%s %s)", fmtCUs(o.Capacity/float64(runs)), unit)
		}
		parts = append(parts, part)
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, " + ")
}

// perRun formats total/runs: whole when it is, else with one decimal.
func perRun(total, runs int) string {
	v := float64(total) / float64(runs)
	if v == math.Trunc(v) {
		return thousands(int(v))
	}
	return fmt.Sprintf("%.1f", v)
}

// msLong formats a duration in milliseconds, with thousands separators
// from 100 ms on.
func msLong(d time.Duration) string {
	if d >= 100*time.Millisecond {
		return thousands(int(math.Round(float64(d)/float64(time.Millisecond)))) + " ms"
	}
	return ms(d)
}

// perItem formats a small duration per item: "0.16 ms" or "85 µs".
func perItem(d time.Duration) string {
	if d >= time.Millisecond {
		return ms(d)
	}
	return fmt.Sprintf("%d µs", d.Microseconds())
}

// cuPair formats read and write capacity, e.g. "1,000 RCU + 2,000 WCU".
func cuPair(rcu, wcu float64) string {
	return fmt.Sprintf("%s RCU + %s WCU", fmtCUs(rcu), fmtCUs(wcu))
}

// fmtCUs is fmtCU with thousands separators for large values.
func fmtCUs(v float64) string {
	if v >= 1000 && v == math.Trunc(v) {
		return thousands(int(v))
	}
	if v >= 100 {
		return thousands(int(math.Round(v)))
	}
	return fmtCU(v)
}

// timeShares describes how a floor's summed request time splits by
// operation, with each operation's mean request time.
func timeShares(ops []opStat) string {
	var total time.Duration
	for _, o := range ops {
		total += o.Time
	}
	if total <= 0 {
		return ""
	}
	var parts []string
	for _, o := range ops {
		parts = append(parts, fmt.Sprintf("`%s` %.0f %% (%s a request)", o.Op, 100*float64(o.Time)/float64(total), ms(o.Time/time.Duration(max(o.Count, 1)))))
	}
	return joinWords(parts)
}

// meanLatency returns the floor's mean request time of op.
func meanLatency(ops []opStat, op string) time.Duration {
	for _, o := range ops {
		if o.Op == op && o.Count > 0 {
			return o.Time / time.Duration(o.Count)
		}
	}
	return 0
}

func printAutomation(w io.Writer, a *automationBench) {
	if a == nil {
		return
	}
	fmt.Fprintf(w, "\n%-24s %4s  %10s %10s %6s  %12s %12s\n", "scan automation", "n", "API p50", "floor p50", "ratio", "RT/customer", "floor RT/c")
	if c := a.Create; c != nil {
		rt, _, _ := ddb(c.Ops)
		frt, _, _ := ddb(c.FloorOps)
		fmt.Fprintf(w, "%-24s %4d  %10s %10s %6.2f  %12.2f %12.2f\n", fmt.Sprintf("schedules × %d", c.Customers), c.N,
			round(c.API.Stats.P50), round(c.Floor.Stats.P50), c.Ratio(), float64(rt)/float64(c.N*c.Customers), float64(frt)/float64(c.N*c.Customers))
	}
	if f := a.Fanout; f != nil {
		rt, _, _ := ddb(f.Ops)
		frt, _, _ := ddb(f.FloorOps)
		fmt.Fprintf(w, "%-24s %4d  %10s %10s %6.2f  %12.2f %12.2f  (%.0f invocations, at most %d schedules each, %.0f invokes)\n",
			fmt.Sprintf("vulndb fan-out × %d", f.Subscribers), f.N, round(f.API.Stats.P50), round(f.Floor.Stats.P50), f.Ratio(),
			float64(rt)/float64(f.N*f.Subscribers), float64(frt)/float64(f.N*f.Subscribers), f.Invocations, f.MaxPerInvocation, f.LambdaInvokes)
	}
}

// automationMethod is the "How it was measured" row of scan automation.
func automationMethod(a *automationBench) string {
	if a == nil || (a.Create == nil && a.Fanout == nil) {
		return ""
	}
	var what []string
	if c := a.Create; c != nil {
		what = append(what, fmt.Sprintf("`POST /v1/schedules` naming %s of the third partner's customers (one call)", thousands(c.Customers)))
	}
	if f := a.Fanout; f != nil {
		what = append(what, fmt.Sprintf("a vulnerability-database update fanned out to %s subscribed customers of a fourth partner (with %s more that did not ask, stored straight into the store)",
			thousands(f.Subscribers), thousands(f.Bystanders)))
	}
	return fmt.Sprintf("| scan automation | %s, each against the requests it cannot avoid, on a wire-level local EventBridge Scheduler (`internal/localscheduler`), EventBridge (`internal/localeventbridge`) and Lambda endpoint in the bench process; see [Scan automation](#scan-automation) |\n",
		joinWords(what))
}

// automationIterations is the scan-automation part of the iterations row.
func automationIterations(a *automationBench) string {
	if a == nil {
		return ""
	}
	var parts []string
	if c := a.Create; c != nil {
		parts = append(parts, fmt.Sprintf("schedule creation %d runs (+%d warm-up)", c.N, c.Warmup))
	}
	if f := a.Fanout; f != nil {
		parts = append(parts, fmt.Sprintf("vulnerability-database fan-out %d updates (+%d warm-up)", f.N, f.Warmup))
	}
	if len(parts) == 0 {
		return ""
	}
	return "; " + strings.Join(parts, ", ") + " per side"
}

// automationSection is "## Scan automation": schedule creation and the
// vulnerability-database fan-out against their floors.
func automationSection(r *result) string {
	a := r.Automation
	if a == nil || (a.Create == nil && a.Fanout == nil) {
		return ""
	}
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("## Scan automation\n\n")
	p("Schedules and the scans they start (issue 7), on the assembled services wired as in AWS but locally, every\n")
	p("request over HTTP: triggers go through the real `scheduler.Triggers` to a wire-level EventBridge Scheduler\n")
	p("(`internal/localscheduler`); events go through the real `eventbus.Publisher` to a local EventBridge\n")
	p("(`internal/localeventbridge`), whose subscription hands each \"Vulnerability Database Updated\" and\n")
	p("\"Vulnerability Scan Page Requested\" event to scan-dispatch's handler (`services.ScanDispatch().Dispatch`) in a\n")
	p("goroutine of its own, as Lambda runs one invocation per event; admitted scans are launched through\n")
	p("`lambdainvoke.Launcher`, an asynchronous `Invoke` of scan-run, to a wire-level Lambda endpoint that answers 202.\n")
	p("Those three endpoints run in the bench process, DynamoDB Local in its own. Each measurement alternates with its\n")
	p("floor (A,B then B,A) after one warm-up run per side; the handler side's first run, before those, is checked\n")
	p("in full and gives the floor the requests and items it copies. The floors use the same Scheduler, Lambda and\n")
	p("DynamoDB clients (so the same connection pools) and the same concurrency as the services. With so few runs\n")
	p("the p90 column is the slowest run or close to it. CPU is the bench process's user and system time per run\n")
	p("(`getrusage`): the handler's work, the SDK clients' and the local endpoints' (for both sides alike), not\n")
	p("DynamoDB Local's.\n\n")
	if c := a.Create; c != nil {
		p("%s", createSection(c))
	}
	if f := a.Fanout; f != nil {
		p("%s", fanoutSection(f))
	}
	return b.String()
}

func createSection(c *scheduleCreateRun) string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	n, runs := c.Customers, c.N
	rt, rcu, wcu := ddb(c.Ops)
	frt, frcu, fwcu := ddb(c.FloorOps)
	per := float64(runs)
	perCust := float64(runs * n)
	p("### Create a schedule for %s customers in one call\n\n", thousands(n))
	p("**Handler:** the schedules handler, `POST /v1/schedules` as the licensed partner's admin, naming %s of its\n", thousands(n))
	p("customers (%d time zones among them): a weekly light scan of all their assets, Mondays at 09:00 in each\n", c.Zones)
	p("customer's zone (trigger `%s`). Every run creates %s new schedules and answers 201 with all\n", c.Expression, thousands(n))
	p("of them (%s KB of JSON: each schedule with its next %d fire times).\n\n", thousands((c.BodyBytes+512)/1024), portal.NextRunsShown)
	p("**Floor:** the requests that call cannot avoid, raw, with the service's %d workers: the customers' consistent\n", scheduleWorkers)
	p("`BatchGetItem` (100 keys a call), then per customer one `CreateSchedule` to the same local Scheduler through the\n")
	p("same SDK client, with the definition the handler sent for that customer (a new name and its own `ClientToken`),\n")
	p("and one `TransactWriteItems` of a copy of the schedule item and of the audit entry the handler wrote for it (each\n")
	p("conditional on its absence, with a `ClientRequestToken`, as the store sends them). It decodes and answers\n")
	p("nothing. The bench checks that both sides' `CreateSchedule` bodies have the same %d JSON fields, that their\n", c.ShapeFields)
	p("DynamoDB calls consumed the same capacity (the same items), and that each customer ends with one schedule item\n")
	p("per run of either side.\n\n")
	mark := ""
	if c.Ratio() > target {
		mark = " ⚠"
	}
	p("| per call, %s customers | handler | floor |\n|---|---:|---:|\n", thousands(n))
	p("| wall time, p50 | %s | %s |\n", msLong(c.API.Stats.P50), msLong(c.Floor.Stats.P50))
	p("| wall time, p90 | %s | %s |\n", msLong(c.API.Stats.P90), msLong(c.Floor.Stats.P90))
	p("| **p50 ratio** | **%.2f**%s | 1 |\n", c.Ratio(), mark)
	p("| DynamoDB round trips | %s | %s |\n", perRun(rt, runs), perRun(frt, runs))
	p("| … of which | %s | %s |\n", opsList(c.Ops, runs, true), opsList(c.FloorOps, runs, true))
	p("| round trips per customer | %.2f | %.2f |\n", float64(rt)/perCust, float64(frt)/perCust)
	p("| capacity | %s | %s |\n", cuPair(rcu/per, wcu/per), cuPair(frcu/per, fwcu/per))
	p("| Scheduler requests | %s | %s |\n", opsList(c.Ops, runs, false), opsList(c.FloorOps, runs, false))
	p("| CPU time of the bench process | %s | %s |\n\n", msLong(c.API.CPU), msLong(c.Floor.CPU))

	p("**What dominates.**\n\n")
	p("- **The requests, the same on both sides.** Per customer one `CreateSchedule` and one `TransactWriteItems` (the\n")
	p("  schedule and its audit entry), plus %s for all the customers: %.2f DynamoDB\n", plural(count(c.Ops, "BatchGetItem")/max(runs, 1), "`BatchGetItem` call"), float64(rt)/perCust)
	p("  round trips and one Scheduler request a customer, %d at a time.", scheduleWorkers)
	if shares := timeShares(c.FloorOps); shares != "" {
		p(" Of the floor's request time (summed over its\n  requests, up to %d in flight) %s.", scheduleWorkers, shares)
	}
	if tx, cs := meanLatency(c.FloorOps, "TransactWriteItems"), meanLatency(c.FloorOps, "CreateSchedule"); tx > 0 && cs > 0 {
		p(" The transactions are DynamoDB Local's work, queueing included; the\n")
		p("  `CreateSchedule`s go to a local Scheduler in the bench process, which says nothing of EventBridge Scheduler's\n")
		p("  own latency in AWS.")
	}
	p("\n")
	p("- **The handler's own work.** Its p50 is %.2f times the floor's", c.Ratio())
	if d := c.API.CPU - c.Floor.CPU; d > 0 {
		p("; it used %s more CPU per call (%s a customer) for what it\n", msLong(d), perItem(d/time.Duration(n)))
		p("  adds to each schedule: validating the request, the trigger definition and its `ClientToken` (a SHA-256 of the\n")
		p("  definition), the audit entry's diff, marshalling the items, and the answer with %d fire times per schedule", portal.NextRunsShown)
	}
	p(".\n")
	if c.Ratio() <= target {
		p("  That is within the %.1f target: the call costs its requests.\n\n", target)
	} else {
		p("  That is above the %.1f target.\n\n", target)
	}
	return b.String()
}

func fanoutSection(f *fanoutRun) string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	n, runs := f.Subscribers, f.N
	rt, rcu, wcu := ddb(f.Ops)
	frt, frcu, fwcu := ddb(f.FloorOps)
	per := float64(runs)
	perCust := float64(runs * n)
	p("### Vulnerability-database fan-out over %s customers\n\n", thousands(n))
	p("**Fan-out:** %s customers of a partner of their own, each active with an unlimited license in force, one\n", thousands(n))
	p("verified asset and an enabled weekly schedule with `onVulnDbUpdate`, and %s more whose enabled schedule did not\n", thousands(f.Bystanders))
	p("ask (stored straight into the store, as `internal/services`' fan-out test does, in %s). Timed from\n", f.SetupTime.Round(100*time.Millisecond))
	p("`POST /v1/events/vulndb-updated` through the schedules handler (super_admin; it publishes the event and answers\n")
	p("202 at once) until scan-dispatch has handled every page: each invocation first publishes the event asking for the\n")
	p("next page, then admits its page's scans, %d at a time. Each update is new, so every run admits %s scans\n", dispatchWorkers, thousands(n))
	p("and launches each one. The bench checks after every run that each subscribed customer, and no other, got exactly\n")
	p("one scan launched, that no page failed and nothing was refused. DynamoDB round trips and capacity are summed over\n")
	p("the invocations, each dispatched under its own `dynamo.WithMeter`.\n\n")
	p("**Floor:** the requests a fan-out cannot avoid, raw, with the same page size (%d) and per-page concurrency (%d),\n", f.PageSize, dispatchWorkers)
	p("pages overlapping as the invocations do: the `Query` pages of the subscriber partition of GSI1\n")
	p("(`GSIPK = VULNDB#SUBSCRIBERS`, Limit %d) one after the other and, as soon as a page is read, per subscriber on it\n", f.PageSize)
	p("one conditional `PutItem` of a scan item (a copy of one the fan-out wrote: the admission's write) and its\n")
	p("asynchronous `Invoke` of scan-run to the same Lambda endpoint.\n")
	p("**Not in the floor:** the admission's reads — the customer (`GetItem`), the licenses and the assets (a `Query`\n")
	p("each) —, the audit entry the admission writes in one\n")
	p("transaction with the scan, and the next-page events (`PutEvents`, and their delivery to a new invocation).\n\n")
	p("| per update, %s customers | fan-out | floor |\n|---|---:|---:|\n", thousands(n))
	p("| wall time, p50 | %s | %s |\n", msLong(f.API.Stats.P50), msLong(f.Floor.Stats.P50))
	p("| wall time, p90 | %s | %s |\n", msLong(f.API.Stats.P90), msLong(f.Floor.Stats.P90))
	p("| **p50 ratio** | **%.2f** | 1 |\n", f.Ratio())
	p("| invocations of scan-dispatch (pages) | %s | — (%s `Query` pages) |\n", fmtMean(f.Invocations), fmtMean(f.FloorPages))
	p("| most schedules one invocation handled | %d | — |\n", f.MaxPerInvocation)
	p("| DynamoDB round trips | %s | %s |\n", perRun(rt, runs), perRun(frt, runs))
	p("| … of which | %s | %s |\n", opsList(f.Ops, runs, true), opsList(f.FloorOps, runs, true))
	p("| round trips per customer | %.2f | %.2f |\n", float64(rt)/perCust, float64(frt)/perCust)
	p("| capacity | %s | %s |\n", cuPair(rcu/per, wcu/per), cuPair(frcu/per, fwcu/per))
	p("| capacity per customer | %s | %s |\n", cuPair(rcu/perCust, wcu/perCust), cuPair(frcu/perCust, fwcu/perCust))
	p("| Lambda `Invoke`s of scan-run | %s | %s |\n", fmtMean(f.LambdaInvokes), fmtMean(f.FloorInvokes))
	p("| `PutEvents` requests | %s | — |\n", fmtMean(f.PutEvents))
	p("| CPU time of the bench process | %s | %s |\n\n", msLong(f.API.CPU), msLong(f.Floor.CPU))

	p("The update took %s invocations for %s subscribers in pages of %d", fmtMean(f.Invocations), thousands(n), f.PageSize)
	if n%f.PageSize == 0 && f.Invocations > float64(n/f.PageSize) {
		p(": the last one read an empty page\n")
		p("(DynamoDB returns a `LastEvaluatedKey` when a page is exactly full, so a fan-out whose subscribers are a multiple\n")
		p("of the page size ends with an invocation that finds no one: one `Query`, nothing published)")
	}
	p(". No invocation handled\nmore than %d schedules. The `PutEvents` requests are the announcement and one per page that asks for the next.\n", f.MaxPerInvocation)
	p("The %s customers whose schedules did not ask are not in the sparse index partition: the fan-out never reads\n", thousands(f.Bystanders))
	p("them, and they got no scan.\n\n")

	reqs := float64(rt)/per + f.LambdaInvokes + f.PutEvents
	freqs := float64(frt)/per + f.FloorInvokes
	ratio := reqs / freqs
	p("**What dominates.**\n\n")
	p("- **The admission's reads.** Per customer the fan-out makes %.2f DynamoDB round trips against the floor's %.2f:\n", float64(rt)/perCust, float64(frt)/perCust)
	p("  besides its share of the page `Query` and the scan's write, it reads the customer, the licenses\n")
	p("  and the assets — three reads for one write, %s RCU a customer against the floor's %s. ", fmtCU(rcu/perCust), fmtCU(frcu/perCust))
	p("Counting every request\n  (DynamoDB, Lambda, EventBridge) the fan-out sends %s per update, the floor %s: %.2f times as many.\n",
		thousands(int(math.Round(reqs))), thousands(int(math.Round(freqs))), ratio)
	p("- **Heavier requests and more CPU.** The time ratio (%.2f) is ", f.Ratio())
	switch {
	case f.Ratio() > ratio*1.1:
		p("above that request ratio. The admission's write is a\n")
		p("  two-item transaction (the scan and its audit entry: %s WCU a customer as DynamoDB Local reports it) where the\n", fmtCU(wcu/perCust))
		p("  floor's is one `PutItem` (%s WCU)", fmtCU(fwcu/perCust))
	case f.Ratio() < ratio*0.9:
		p("below that request ratio: the added reads overlap with the\n  writes, %d at a time per page", dispatchWorkers)
	default:
		p("about that request ratio")
	}
	if d := f.API.CPU - f.Floor.CPU; d > 0 {
		p(", and the bench process used %s more CPU per update (%s a customer) on a machine\n", msLong(d), perItem(d/time.Duration(n)))
		p("  whose %d CPUs it shares with DynamoDB Local", runtime.NumCPU())
	}
	p(".")
	if shares := timeShares(f.FloorOps); shares != "" {
		p(" Of the floor's own request time (summed over its requests, up to %d in flight per page,\n  pages overlapping) %s.", dispatchWorkers, shares)
	}
	p("\n")
	p("- **What the reads buy.** They make each admission like any other: refused without a license in force, skipped for\n")
	p("  a suspended customer, not repeated for a delivery seen before, its targets the verified assets at that moment.\n")
	p("  The %.1f target bounds HTTP handler overhead over the same requests and is not applied here: this floor leaves\n", target)
	p("  those reads out on purpose.\n\n")
	return b.String()
}

// fmtMean formats a per-run mean: whole when it is, else with one decimal.
func fmtMean(v float64) string {
	if v == math.Trunc(v) {
		return thousands(int(v))
	}
	return fmt.Sprintf("%.1f", v)
}
