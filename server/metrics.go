package server

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/kiln-run/kiln"
)

// metrics are the server's Prometheus metrics, on a registry of the App's
// own (no global state, so several Apps can run in one test process).
type metrics struct {
	registry   *prometheus.Registry
	executions *prometheus.CounterVec
	duration   *prometheus.HistogramVec
}

func newMetrics() *metrics {
	reg := prometheus.NewRegistry()
	m := &metrics{
		registry: reg,
		executions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kiln_executions_total",
			Help: "Finished executions by tenant, trigger and final status.",
		}, []string{"tenant", "trigger", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "kiln_execution_duration_seconds",
			Help:    "Execution wall-clock time by tenant and trigger.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"tenant", "trigger"}),
	}
	reg.MustRegister(m.executions, m.duration, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// observe records a finished execution.
func (m *metrics) observe(e *kiln.Execution) {
	m.executions.WithLabelValues(e.TenantID, e.Trigger, string(e.Status)).Inc()
	m.duration.WithLabelValues(e.TenantID, e.Trigger).Observe(e.DurationMs / 1000)
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}
