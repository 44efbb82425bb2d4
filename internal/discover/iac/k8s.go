package iac

import (
	"strings"

	"github.com/aigis-dev/aigis/internal/finding"
)

var workloadKinds = []string{"Deployment", "StatefulSet", "DaemonSet", "Pod", "Job", "ReplicaSet", "CronJob"}

// modelServers maps an image substring to the serving runtime and whether it
// can enforce an API key itself (and how).
var modelServers = []struct {
	image, runtime string
	authFlag       string // command-line flag that enables auth, "" when none exists
	authEnv        string
}{
	{"vllm", "vLLM", "--api-key", "VLLM_API_KEY"},
	{"text-generation-inference", "TGI", "", ""},
	{"ollama", "Ollama", "", ""},
	{"tritonserver", "Triton", "", ""},
	{"llama.cpp", "llama.cpp", "--api-key", "LLAMA_API_KEY"},
	{"llama-cpp", "llama.cpp", "--api-key", "LLAMA_API_KEY"},
	{"localai", "LocalAI", "", "API_KEY"},
	{"sglang", "SGLang", "--api-key", ""},
	{"lmdeploy", "LMDeploy", "--api-keys", ""},
	{"tensorflow/serving", "TF Serving", "", ""},
	{"torchserve", "TorchServe", "", ""},
	{"nvcr.io/nim", "NVIDIA NIM", "", ""},
	{"kserve", "KServe", "", ""},
}

// ModelServer describes one container that serves a model.
type ModelServer struct {
	Container, Image, Runtime string
	GPUs                      string
	auth                      bool
	container                 map[string]any
}

func podSpec(r *Resource) map[string]any {
	var v any
	var ok bool
	switch r.Type {
	case "Pod":
		v, ok = r.attr("spec")
	case "CronJob":
		v, ok = r.attr("spec", "jobTemplate", "spec", "template", "spec")
	default:
		v, ok = r.attr("spec", "template", "spec")
	}
	m, _ := v.(map[string]any)
	if !ok {
		return nil
	}
	return m
}

func podLabels(r *Resource) map[string]any {
	var v any
	if r.Type == "Pod" {
		v, _ = r.attr("metadata", "labels")
	} else {
		v, _ = r.attr("spec", "template", "metadata", "labels")
	}
	m, _ := v.(map[string]any)
	return m
}

// ModelServers returns the model-serving containers of a Kubernetes workload.
func ModelServers(r *Resource) []ModelServer {
	if r.Format != Kubernetes || !contains(workloadKinds, r.Type) {
		return nil
	}
	spec := podSpec(r)
	if spec == nil {
		return nil
	}
	var out []ModelServer
	cs, _ := spec["containers"].([]any)
	for _, c := range cs {
		cm, ok := c.(map[string]any)
		if !ok {
			continue
		}
		img, _ := cm["image"].(string)
		low := strings.ToLower(img)
		for _, ms := range modelServers {
			if !strings.Contains(low, ms.image) {
				continue
			}
			name, _ := cm["name"].(string)
			s := ModelServer{Container: name, Image: img, Runtime: ms.runtime, container: cm}
			args := strings.ToLower(flatText(cm["args"], 0) + " " + flatText(cm["command"], 0))
			if ms.authFlag != "" && strings.Contains(args, ms.authFlag) {
				s.auth = true
			}
			if ms.authEnv != "" {
				env, _ := cm["env"].([]any)
				for _, e := range env {
					if n, _ := get(e, "name"); n == ms.authEnv {
						s.auth = true
					}
				}
			}
			if g, ok := get(cm, "resources", "limits", "nvidia.com/gpu"); ok {
				s.GPUs = textOf(g)
			} else if g, ok := get(cm, "resources", "requests", "nvidia.com/gpu"); ok {
				s.GPUs = textOf(g)
			}
			out = append(out, s)
			break
		}
	}
	return out
}

func contains(l []string, s string) bool {
	for _, e := range l {
		if e == s {
			return true
		}
	}
	return false
}

// exposure returns why a workload is reachable from outside the cluster, or "".
func exposure(r *Resource, s *Set) string {
	if spec := podSpec(r); spec != nil {
		if b, _ := boolOf(spec["hostNetwork"]); b {
			return "hostNetwork: true"
		}
	}
	labels := podLabels(r)
	if len(labels) == 0 {
		return ""
	}
	ns := namespace(r)
	for i := range s.Resources {
		svc := &s.Resources[i]
		if svc.Format != Kubernetes || svc.Type != "Service" || namespace(svc) != ns {
			continue
		}
		sel, _ := svc.attr("spec", "selector")
		selm, _ := sel.(map[string]any)
		if !selects(selm, labels) {
			continue
		}
		t, _ := svc.attr("spec", "type")
		if ts, _ := strOf(t); ts == "LoadBalancer" || ts == "NodePort" {
			return "Service " + svc.Name + " of type " + ts
		}
		for j := range s.Resources {
			ing := &s.Resources[j]
			if ing.Format != Kubernetes || (ing.Type != "Ingress" && ing.Type != "HTTPRoute") || namespace(ing) != ns {
				continue
			}
			text := flatText(ing.Attrs["spec"], 0)
			if !strings.Contains(text, "name="+svc.Name+" ") {
				continue
			}
			if !ingressHasAuth(ing) {
				return ing.Type + " " + ing.Name + " without authentication"
			}
		}
	}
	return ""
}

func namespace(r *Resource) string {
	v, _ := r.attr("metadata", "namespace")
	s, _ := v.(string)
	if s == "" {
		return "default"
	}
	return s
}

func selects(sel, labels map[string]any) bool {
	n := 0
	for k, v := range sel {
		if k == lineKey {
			continue
		}
		n++
		if textOf(labels[k]) != textOf(v) {
			return false
		}
	}
	return n > 0
}

func ingressHasAuth(ing *Resource) bool {
	ann, _ := ing.attr("metadata", "annotations")
	m, _ := ann.(map[string]any)
	for k := range m {
		lk := strings.ToLower(k)
		if strings.Contains(lk, "auth-url") || strings.Contains(lk, "auth-type") || strings.Contains(lk, "auth-signin") ||
			strings.Contains(lk, "oauth") || strings.Contains(lk, "router.middlewares") || strings.Contains(lk, "jwt") {
			return true
		}
	}
	return false
}

func k8sChecks() []Check {
	k8s := []string{Kubernetes}
	return []Check{
		{
			ID: "AIGIS-K8S-001", Title: "Model server exposed outside the cluster without authentication", Severity: finding.High,
			ATLAS: []string{"AML.T0040", "AML.T0049", "AML.T0034"}, OWASP: []string{"LLM10:2025", "LLM02:2025"},
			Remediation: "Put the model server behind an authenticating gateway (aigis serve, an ingress with auth) or enable its API key (vLLM --api-key); use a ClusterIP Service.",
			targets: []target{{k8s, workloadKinds, func(r *Resource, s *Set) verdict {
				servers := ModelServers(r)
				if len(servers) == 0 {
					return na
				}
				exp := exposure(r, s)
				if exp == "" {
					return pass
				}
				for _, ms := range servers {
					if !ms.auth {
						return failf(ms.Runtime + " container " + ms.Container + " (" + ms.Image + ") is reachable via " + exp + " and has no API key")
					}
				}
				return pass
			}}},
		},
		{
			ID: "AIGIS-K8S-002", Title: "KServe InferenceService is public and has authentication disabled", Severity: finding.High,
			ATLAS: []string{"AML.T0040", "AML.T0049"}, OWASP: []string{"LLM10:2025", "LLM02:2025"},
			Remediation: "Annotate serving.kserve.io/enable-auth: \"true\" or label networking.kserve.io/visibility: cluster-local.",
			targets: []target{{k8s, []string{"InferenceService"}, func(r *Resource, _ *Set) verdict {
				a, _ := r.attr("metadata", "annotations", "serving.kserve.io/enable-auth")
				if b, _ := boolOf(a); b {
					return pass
				}
				l, _ := r.attr("metadata", "labels", "networking.kserve.io/visibility")
				if s, _ := strOf(l); s == "cluster-local" {
					return pass
				}
				return failf("no serving.kserve.io/enable-auth annotation and not cluster-local")
			}}},
		},
		{
			ID: "AIGIS-K8S-003", Title: "Model server image is not pinned", Severity: finding.Medium,
			ATLAS: []string{"AML.T0010.004", "AML.T0010.001"}, OWASP: []string{"LLM03:2025"},
			Remediation: "Pin the image to a version tag and digest (image@sha256:...).",
			targets: []target{{k8s, workloadKinds, func(r *Resource, _ *Set) verdict {
				servers := ModelServers(r)
				if len(servers) == 0 {
					return na
				}
				for _, ms := range servers {
					if strings.Contains(ms.Image, "@sha256:") {
						continue
					}
					ref := ms.Image[strings.LastIndex(ms.Image, "/")+1:]
					_, tag, hasTag := strings.Cut(ref, ":")
					if !hasTag || tag == "latest" || tag == "main" || tag == "nightly" {
						return failf("image " + ms.Image + " is not pinned to a version")
					}
				}
				return pass
			}}},
		},
		{
			ID: "AIGIS-K8S-004", Title: "Model server runs with --trust-remote-code", Severity: finding.High,
			ATLAS: []string{"AML.T0011.000", "AML.T0010.003"}, OWASP: []string{"LLM03:2025", "LLM05:2025"},
			Remediation: "Remove --trust-remote-code; serve models whose code you have reviewed and pinned (revision).",
			targets: []target{{k8s, workloadKinds, func(r *Resource, _ *Set) verdict {
				servers := ModelServers(r)
				if len(servers) == 0 {
					return na
				}
				for _, ms := range servers {
					if strings.Contains(flatText(ms.container["args"], 0)+flatText(ms.container["command"], 0), "--trust-remote-code") {
						return failf(ms.Container + " passes --trust-remote-code")
					}
				}
				return pass
			}}},
		},
		{
			ID: "AIGIS-K8S-005", Title: "Model server has no memory or GPU limits", Severity: finding.Low,
			ATLAS: []string{"AML.T0029", "AML.T0034"}, OWASP: []string{"LLM10:2025"},
			Remediation: "Set resources.limits (memory, nvidia.com/gpu) on model-serving containers.",
			targets: []target{{k8s, workloadKinds, func(r *Resource, _ *Set) verdict {
				servers := ModelServers(r)
				if len(servers) == 0 {
					return na
				}
				for _, ms := range servers {
					_, mem := get(ms.container, "resources", "limits", "memory")
					_, gpu := get(ms.container, "resources", "limits", "nvidia.com/gpu")
					if !mem && !gpu {
						return failf(ms.Container + " has no resources.limits for memory or nvidia.com/gpu")
					}
				}
				return pass
			}}},
		},
		{
			ID: "AIGIS-K8S-006", Title: "Model server container runs privileged", Severity: finding.High,
			ATLAS: []string{"AML.T0011.000"}, OWASP: []string{"LLM06:2025", "LLM03:2025"},
			Remediation: "Remove securityContext.privileged: true; use the NVIDIA device plugin for GPU access.",
			targets: []target{{k8s, workloadKinds, func(r *Resource, _ *Set) verdict {
				servers := ModelServers(r)
				if len(servers) == 0 {
					return na
				}
				for _, ms := range servers {
					p, _ := get(ms.container, "securityContext", "privileged")
					if b, _ := boolOf(p); b {
						return failf(ms.Container + " sets securityContext.privileged: true")
					}
				}
				return pass
			}}},
		},
	}
}
