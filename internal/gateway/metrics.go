package gateway

import (
	"net/http"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the gateway's Prometheus series, on their own registry (no
// global state).
type Metrics struct {
	reg        *prometheus.Registry
	requests   *prometheus.CounterVec   // route, status
	latency    *prometheus.HistogramVec // route
	upstream   *prometheus.HistogramVec // upstream
	ttfb       *prometheus.HistogramVec // route
	tokens     *prometheus.CounterVec   // model, kind (prompt, completion)
	denials    *prometheus.CounterVec   // reason
	upErrors   *prometheus.CounterVec   // upstream, kind
	openStream prometheus.Gauge
	auditWrite prometheus.Histogram // durable audit append on the request path
}

// NewMetrics creates the series on a fresh registry with Go runtime and
// process collectors.
func NewMetrics() *Metrics {
	reg := prometheus.NewRegistry()
	buckets := []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}
	m := &Metrics{
		reg: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "aigis_requests_total", Help: "Requests by route and HTTP status.",
		}, []string{"route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "aigis_request_duration_seconds", Help: "Whole request latency by route.", Buckets: buckets,
		}, []string{"route"}),
		upstream: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "aigis_upstream_duration_seconds", Help: "Upstream call latency by upstream.", Buckets: buckets,
		}, []string{"upstream"}),
		ttfb: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "aigis_stream_ttfb_seconds", Help: "Time to the first streamed byte sent to the client.", Buckets: buckets,
		}, []string{"route"}),
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "aigis_tokens_total", Help: "Tokens reported by upstreams, by model and kind.",
		}, []string{"model", "kind"}),
		denials: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "aigis_denials_total", Help: "Refused requests by reason code.",
		}, []string{"reason"}),
		upErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "aigis_upstream_errors_total", Help: "Upstream failures by upstream and kind.",
		}, []string{"upstream", "kind"}),
		openStream: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "aigis_open_streams", Help: "Streams being served now.",
		}),
		auditWrite: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "aigis_audit_write_duration_seconds", Help: "Durable audit append on the request path, successful or not.",
			Buckets: []float64{.00001, .000025, .00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .5, 1, 10},
		}),
	}
	reg.MustRegister(m.requests, m.latency, m.upstream, m.ttfb, m.tokens, m.denials, m.upErrors, m.openStream, m.auditWrite,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// Registry returns the registry, to add series.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// statusLabel avoids formatting the common statuses per request.
func statusLabel(s int) string {
	switch s {
	case 200:
		return "200"
	case 400:
		return "400"
	case 401:
		return "401"
	case 403:
		return "403"
	case 404:
		return "404"
	case 429:
		return "429"
	case 502:
		return "502"
	}
	return strconv.Itoa(s)
}
