package iac

import "strings"

// AIResource is an AI-relevant resource found in IaC, for the inventory.
type AIResource struct {
	Service string // "Azure OpenAI", "AWS Bedrock", "Vertex AI", "vLLM", ...
	Resource
	Props map[string]string
}

var aiTypePrefixes = []struct{ prefix, service string }{
	{"azurerm_cognitive_", "Azure AI Services"},
	{"azurerm_ai_services", "Azure AI Services"},
	{"azurerm_ai_foundry", "Azure AI Foundry"},
	{"azurerm_machine_learning_", "Azure Machine Learning"},
	{"azurerm_search_service", "Azure AI Search"},
	{"Microsoft.CognitiveServices/", "Azure AI Services"},
	{"Microsoft.MachineLearningServices/", "Azure Machine Learning"},
	{"Microsoft.Search/searchServices", "Azure AI Search"},
	{"aws_bedrock", "AWS Bedrock"},
	{"aws_sagemaker_", "AWS SageMaker"},
	{"aws_comprehend_", "AWS Comprehend"},
	{"AWS::Bedrock::", "AWS Bedrock"},
	{"AWS::SageMaker::", "AWS SageMaker"},
	{"AWS::Comprehend::", "AWS Comprehend"},
	{"google_vertex_ai_", "GCP Vertex AI"},
	{"google_notebooks_", "GCP Vertex AI"},
	{"google_workbench_", "GCP Vertex AI"},
	{"google_colab_", "GCP Vertex AI"},
	{"InferenceService", "KServe"},
	{"ServingRuntime", "KServe"},
}

// AIResources returns the AI services, model deployments and model-serving
// workloads among rs.
func AIResources(rs []Resource) []AIResource {
	var out []AIResource
	for i := range rs {
		r := &rs[i]
		if servers := ModelServers(r); len(servers) > 0 {
			for _, ms := range servers {
				p := map[string]string{"image": ms.Image, "container": ms.Container}
				if ms.GPUs != "" {
					p["gpus"] = ms.GPUs
				}
				out = append(out, AIResource{Service: ms.Runtime, Resource: *r, Props: p})
			}
			continue
		}
		for _, t := range aiTypePrefixes {
			if !strings.HasPrefix(r.Type, t.prefix) {
				continue
			}
			if r.Format == Kubernetes && t.service != "KServe" {
				continue
			}
			p := map[string]string{}
			for _, k := range [][]string{{"kind"}, {"sku_name"}, {"sku", "name"}, {"model", "name"}, {"model", "format"}, {"model", "version"},
				{"properties", "model", "name"}, {"properties", "model", "version"}, {"Properties", "FoundationModel"}, {"foundation_model"}} {
				if v, ok := r.attr(k...); ok {
					if s, ok := strOf(v); ok && s != "" {
						p[strings.Join(k, ".")] = s
					}
				}
			}
			svc := t.service
			if kind, ok := p["kind"]; ok && strings.EqualFold(kind, "OpenAI") {
				svc = "Azure OpenAI"
			}
			out = append(out, AIResource{Service: svc, Resource: *r, Props: p})
			break
		}
	}
	return out
}
