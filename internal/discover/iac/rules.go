package iac

import (
	"strings"

	"github.com/aigis-dev/aigis/internal/finding"
)

// ATLAS and OWASP ids reused by many checks.
var (
	atlasPublic  = []string{"AML.T0049", "AML.T0040"}
	atlasCreds   = []string{"AML.T0012", "AML.T0055"}
	atlasExfil   = []string{"AML.T0025", "AML.T0035"}
	owaspDisc    = []string{"LLM02:2025"}
	owaspPublic  = []string{"LLM02:2025", "LLM10:2025"}
	owaspCMK     = []string{"LLM02:2025", "LLM04:2025"}
	owaspAgent   = []string{"LLM01:2025", "LLM06:2025", "ASI01"}
	owaspSupply  = []string{"LLM03:2025"}
	remCMK       = "Encrypt with a customer-managed KMS / Key Vault key you control (and rotate), not the provider-managed default."
	remPrivateNW = "Disable public network access and reach the service through a private endpoint / VPC / private service connect."
)

// Checks returns the IaC posture checks (cloud and Kubernetes).
func Checks() []Check {
	return append(cloudChecks(), k8sChecks()...)
}

func cloudChecks() []Check {
	return []Check{
		// ---- Azure AI Services / Cognitive Services / Azure OpenAI ----
		{
			ID: "AIGIS-AZ-001", Title: "Azure AI Services account allows public network access", Severity: finding.High,
			ATLAS: atlasPublic, OWASP: owaspPublic,
			Equivalents: []string{"CKV_AZURE_134", "AzurePolicy:0725b4dd-7e76-479c-a735-68e7ee23d5ca", "Azure.Cognitive.PublicAccess", "Azure.AI.PublicAccess"},
			Remediation: "Set public_network_access_enabled = false (ARM/Bicep: properties.publicNetworkAccess = 'Disabled') or restrict network_acls to default_action = Deny; use a private endpoint.",
			targets: []target{
				{tf, []string{tfCognitive}, anyOf(wantBool("public_network_access_enabled", false, true), wantString("network_acls/default_action", true, "Deny"))},
				{tf, []string{tfAIServices}, anyOf(wantString("public_network_access", true, "Disabled"), wantString("network_acls/default_action", true, "Deny"))},
				{armBicep, []string{armCognitive}, wantString("properties/publicNetworkAccess", true, "Disabled")},
			},
		},
		{
			ID: "AIGIS-AZ-002", Title: "Azure AI Services account allows local (API key) authentication", Severity: finding.High,
			ATLAS: atlasCreds, OWASP: owaspDisc,
			Equivalents: []string{"CKV_AZURE_236", "AzurePolicy:71ef260a-8f18-47b7-abcb-62d0673d94dc", "Azure.Cognitive.DisableLocalAuth", "Azure.AI.DisableLocalAuth"},
			Remediation: "Set local_auth_enabled = false (ARM/Bicep: properties.disableLocalAuth = true) and authenticate callers with Microsoft Entra ID.",
			targets: []target{
				{tf, []string{tfCognitive}, wantBool("local_auth_enabled", false, true)},
				{tf, []string{tfAIServices}, wantBool("local_authentication_enabled", false, true)},
				{armBicep, []string{armCognitive}, wantBool("properties/disableLocalAuth", true, false)},
			},
		},
		{
			ID: "AIGIS-AZ-003", Title: "Azure AI Services account has no managed identity", Severity: finding.Medium,
			ATLAS: atlasCreds, OWASP: owaspDisc,
			Equivalents: []string{"CKV_AZURE_238", "AzurePolicy:fe3fd216-4f83-4fc1-8984-2bbec80a3418", "Azure.Cognitive.ManagedIdentity", "Azure.AI.ManagedIdentity"},
			Remediation: "Add an identity block (SystemAssigned or UserAssigned) so the account reaches Key Vault and storage without stored secrets.",
			targets: []target{
				{tf, []string{tfCognitive, tfAIServices}, wantSet("identity/type")},
				{armBicep, []string{armCognitive}, wantSet("identity/type")},
			},
		},
		{
			ID: "AIGIS-AZ-004", Title: "Azure OpenAI account does not restrict outbound network access (data loss prevention)", Severity: finding.Medium,
			ATLAS: []string{"AML.T0025", "AML.T0057"}, OWASP: []string{"LLM02:2025", "LLM06:2025"},
			Equivalents: []string{"CKV_AZURE_247"},
			Remediation: "Set outbound_network_access_restricted = true with an fqdns allow-list (ARM/Bicep: restrictOutboundNetworkAccess = true, allowedFqdnList = [...]).",
			targets: []target{
				{tf, []string{tfCognitive}, when(kindIs("kind", "OpenAI"), allOf(wantBool("outbound_network_access_restricted", true, false), wantSet("fqdns")))},
				{armBicep, []string{armCognitive}, when(kindIs("kind", "OpenAI"), allOf(wantBool("properties/restrictOutboundNetworkAccess", true, false), wantSet("properties/allowedFqdnList")))},
			},
		},
		{
			ID: "AIGIS-AZ-005", Title: "Azure AI Services account is not encrypted with a customer-managed key", Severity: finding.Low,
			ATLAS: atlasExfil, OWASP: owaspCMK,
			Equivalents: []string{"CKV2_AZURE_22", "AzurePolicy:67121cc7-ff39-4ab8-b7e3-95b84dab487d"},
			Remediation: remCMK + " Terraform: azurerm_cognitive_account_customer_managed_key or a customer_managed_key block; ARM/Bicep: properties.encryption.keySource = 'Microsoft.KeyVault'.",
			targets: []target{
				{tf, []string{tfCognitive, tfAIServices}, func(r *Resource, s *Set) verdict {
					if isSet(r.attr("customer_managed_key")) {
						return pass
					}
					if len(s.referencing(r, "azurerm_cognitive_account_customer_managed_key")) > 0 {
						return pass
					}
					return failf("no customer_managed_key block and no azurerm_cognitive_account_customer_managed_key for " + r.Address())
				}},
				{armBicep, []string{armCognitive}, wantString("properties/encryption/keySource", true, "Microsoft.KeyVault")},
			},
		},
		{
			ID: "AIGIS-AZ-006", Title: "Azure AI Services network rules allow all networks", Severity: finding.Medium,
			ATLAS: atlasPublic, OWASP: owaspPublic,
			Equivalents: []string{"AzurePolicy:037eea7a-bd0a-46c5-9a66-03aea78705d3", "Azure.Cognitive.PublicAccess", "Azure.AI.PublicAccess"},
			Remediation: "Set network_acls.default_action = Deny (ARM/Bicep: properties.networkAcls.defaultAction = 'Deny') and allow only the networks that need it.",
			targets: []target{
				{tf, []string{tfCognitive, tfAIServices}, when(func(r *Resource) bool {
					v, ok := r.attr("public_network_access_enabled")
					b, known := boolOf(v)
					if ok && known && !b {
						return false
					}
					pv, _ := r.attr("public_network_access")
					s, _ := strOf(pv)
					return !strings.EqualFold(s, "Disabled")
				}, wantString("network_acls/default_action", true, "Deny"))},
				{armBicep, []string{armCognitive}, when(func(r *Resource) bool {
					v, _ := r.attr("properties", "publicNetworkAccess")
					s, _ := strOf(v)
					return !strings.EqualFold(s, "Disabled")
				}, wantString("properties/networkAcls/defaultAction", true, "Deny"))},
			},
		},
		{
			ID: "AIGIS-AZ-007", Title: "Azure AI Services account has no private endpoint", Severity: finding.Low,
			ATLAS: atlasPublic, OWASP: owaspPublic,
			Equivalents: []string{"AzurePolicy:cddd188c-4b82-4c48-a19d-ddf74ee66a01", "Azure.Cognitive.PrivateEndpoints", "Azure.AI.PrivateEndpoints"},
			Remediation: "Add a private endpoint (azurerm_private_endpoint / Microsoft.Network/privateEndpoints) for the account and disable public access.",
			targets: []target{
				{tf, []string{tfCognitive, tfAIServices}, privateEndpointCheck("azurerm_private_endpoint")},
				{armBicep, []string{armCognitive}, privateEndpointCheck("Microsoft.Network/privateEndpoints")},
			},
		},
		{
			ID: "AIGIS-AZ-008", Title: "Azure AI Services account has no custom subdomain (Entra ID auth and private endpoints need one)", Severity: finding.Low,
			ATLAS: atlasCreds, OWASP: owaspDisc,
			Remediation: "Set custom_subdomain_name (ARM/Bicep: properties.customSubDomainName) so token-based authentication and private endpoints work.",
			targets: []target{
				{tf, []string{tfCognitive, tfAIServices}, wantSet("custom_subdomain_name")},
				{armBicep, []string{armCognitive}, wantSet("properties/customSubDomainName")},
			},
		},
		// ---- Azure Machine Learning ----
		{
			ID: "AIGIS-AML-001", Title: "Azure ML compute cluster allows local authentication", Severity: finding.Medium,
			ATLAS: atlasCreds, OWASP: owaspDisc,
			Equivalents: []string{"CKV_AZURE_142", "AzurePolicy:e96a9a5f-07ca-471b-9bc5-6a0f33cbd68f", "Azure.ML.DisableLocalAuth"},
			Remediation: "Set local_auth_enabled = false on the compute cluster (ARM/Bicep: properties.disableLocalAuth = true) and use Entra ID.",
			targets: []target{
				{tf, []string{"azurerm_machine_learning_compute_cluster"}, wantBool("local_auth_enabled", false, true)},
				{armBicep, []string{armMLCompute}, wantBool("properties/disableLocalAuth", true, false)},
			},
		},
		{
			ID: "AIGIS-AML-002", Title: "Azure ML workspace allows public network access", Severity: finding.High,
			ATLAS: atlasPublic, OWASP: owaspPublic,
			Equivalents: []string{"CKV_AZURE_144", "AzurePolicy:438c38d2-3772-465a-a9cc-7a6666a275ce", "Azure.ML.PublicAccess"},
			Remediation: "Set public_network_access_enabled = false on the workspace and reach it through a private endpoint.",
			// CKV_AZURE_144 is a negative-value check in Checkov: only an
			// explicit true fails, an absent attribute passes.
			targets: []target{
				{tf, []string{tfMLWS}, wantBool("public_network_access_enabled", false, false)},
			},
		},
		{
			ID: "AIGIS-AML-003", Title: "Azure ML compute cluster keeps idle nodes (minimum node count above 0)", Severity: finding.Low,
			ATLAS: []string{"AML.T0034"}, OWASP: []string{"LLM10:2025"},
			Equivalents: []string{"CKV_AZURE_150"},
			Remediation: "Set scale_settings.min_node_count = 0 so idle clusters scale to zero.",
			targets: []target{
				{tf, []string{"azurerm_machine_learning_compute_cluster"}, func(r *Resource, _ *Set) verdict {
					v, ok := r.attr("scale_settings", "min_node_count")
					if !ok {
						return failf("scale_settings.min_node_count is not set")
					}
					if _, isExpr := v.(Expr); isExpr {
						return pass
					}
					if n, ok := numOf(v); ok && n == 0 {
						return pass
					}
					return failf("scale_settings.min_node_count = " + textOf(v))
				}},
			},
		},
		{
			ID: "AIGIS-AML-004", Title: "Azure ML workspace managed network has no private endpoint outbound rule", Severity: finding.Medium,
			ATLAS: atlasExfil, OWASP: owaspPublic,
			Equivalents: []string{"CKV_AZURE_243", "AzurePolicy:45e05259-1eb5-4f70-9574-baf73e9d219b"},
			Remediation: "Configure properties.managedNetwork with isolationMode AllowOnlyApprovedOutbound and PrivateEndpoint outbound rules to the workspace's dependencies.",
			targets: []target{
				{armBicep, []string{armMLWS}, func(r *Resource, _ *Set) verdict {
					rules, ok := r.attr("properties", "managedNetwork", "outboundRules")
					if m, isMap := rules.(map[string]any); ok && isMap {
						for k, v := range m {
							if k == lineKey {
								continue
							}
							t, _ := get(v, "type")
							if s, _ := strOf(t); strings.EqualFold(s, "PrivateEndpoint") {
								return pass
							}
						}
					}
					return failf("properties.managedNetwork.outboundRules has no rule of type PrivateEndpoint")
				}},
			},
		},
		{
			ID: "AIGIS-AML-005", Title: "Azure ML workspace is explicitly open to public networks", Severity: finding.High,
			ATLAS: atlasPublic, OWASP: owaspPublic,
			Equivalents: []string{"CKV2_AZURE_49", "Azure.ML.PublicAccess"},
			Remediation: "Remove public access: public_network_access_enabled = false (ARM/Bicep: properties.publicNetworkAccess = 'Disabled').",
			targets: []target{
				{tf, []string{tfMLWS}, wantBool("public_network_access_enabled", false, false)},
				{armBicep, []string{armMLWS}, wantString("properties/publicNetworkAccess", false, "Disabled")},
			},
		},
		{
			ID: "AIGIS-AML-006", Title: "Storage account of a high-business-impact Azure ML workspace is publicly accessible", Severity: finding.High,
			ATLAS: []string{"AML.T0035", "AML.T0036"}, OWASP: []string{"LLM02:2025", "LLM04:2025"},
			Equivalents: []string{"CKV2_AZURE_50"},
			Remediation: "Set public_network_access_enabled = false on the storage account behind a workspace with high_business_impact = true.",
			targets: []target{
				{tf, []string{tfMLWS}, func(r *Resource, s *Set) verdict {
					hbi, _ := r.attr("high_business_impact")
					if b, _ := boolOf(hbi); !b {
						return na
					}
					sa, _ := r.attr("storage_account_id")
					st := s.resolveRef(sa, "azurerm_storage_account")
					if st == nil {
						return na
					}
					v, ok := st.attr("public_network_access_enabled")
					if b, known := boolOf(v); ok && known && !b {
						return pass
					}
					return failf(st.Address() + " allows public network access")
				}},
			},
		},
		{
			ID: "AIGIS-AML-007", Title: "Azure ML compute nodes get public IP addresses", Severity: finding.Medium,
			ATLAS: atlasPublic, OWASP: owaspPublic,
			Equivalents: []string{"Azure.ML.ComputeVnet"},
			Remediation: "Set node_public_ip_enabled = false (ARM/Bicep: properties.properties.enableNodePublicIp = false) and place compute in a virtual network.",
			targets: []target{
				{tf, []string{"azurerm_machine_learning_compute_cluster", "azurerm_machine_learning_compute_instance"}, wantBool("node_public_ip_enabled", false, true)},
				{armBicep, []string{armMLCompute}, wantBool("properties/properties/enableNodePublicIp", false, true)},
			},
		},
		// ---- Azure AI Search ----
		{
			ID: "AIGIS-SRCH-001", Title: "Azure AI Search service allows public network access", Severity: finding.High,
			ATLAS: []string{"AML.T0049", "AML.T0085.000"}, OWASP: []string{"LLM02:2025", "LLM08:2025"},
			Equivalents: []string{"CKV_AZURE_124", "AzurePolicy:ee980b6d-0eca-4501-8d54-f6290fd512c3"},
			Remediation: "Set public_network_access_enabled = false (ARM/Bicep: properties.publicNetworkAccess = 'disabled') and use a private endpoint.",
			targets: []target{
				{tf, []string{tfSearch}, wantBool("public_network_access_enabled", false, true)},
				{armBicep, []string{armSearch}, wantString("properties/publicNetworkAccess", true, "disabled")},
			},
		},
		{
			ID: "AIGIS-SRCH-002", Title: "Azure AI Search service has no system-assigned managed identity", Severity: finding.Medium,
			ATLAS: atlasCreds, OWASP: []string{"LLM08:2025"},
			Equivalents: []string{"CKV_AZURE_207", "Azure.Search.ManagedIdentity"},
			Remediation: "Add identity { type = \"SystemAssigned\" } to the search service.",
			targets: []target{
				{tf, []string{tfSearch}, identityHas("identity/type", "SystemAssigned")},
				{armBicep, []string{armSearch}, identityHas("identity/type", "SystemAssigned")},
			},
		},
		{
			ID: "AIGIS-SRCH-003", Title: "Azure AI Search service has fewer than 3 replicas (no SLA for index updates)", Severity: finding.Low,
			ATLAS: []string{"AML.T0029"}, OWASP: []string{"LLM10:2025"},
			Equivalents: []string{"CKV_AZURE_208", "Azure.Search.IndexSLA"},
			Remediation: "Set replica_count >= 3 (ARM/Bicep: properties.replicaCount).",
			targets: []target{
				{tf, []string{tfSearch}, wantMin("replica_count", 3)},
				{armBicep, []string{armSearch}, wantMin("properties/replicaCount", 3)},
			},
		},
		{
			ID: "AIGIS-SRCH-004", Title: "Azure AI Search service has fewer than 2 replicas (no SLA for queries)", Severity: finding.Low,
			ATLAS: []string{"AML.T0029"}, OWASP: []string{"LLM10:2025"},
			Equivalents: []string{"CKV_AZURE_209", "Azure.Search.QuerySLA"},
			Remediation: "Set replica_count >= 2 (ARM/Bicep: properties.replicaCount).",
			targets: []target{
				{tf, []string{tfSearch}, wantMin("replica_count", 2)},
				{armBicep, []string{armSearch}, wantMin("properties/replicaCount", 2)},
			},
		},
		{
			ID: "AIGIS-SRCH-005", Title: "Azure AI Search allowed IPs include 0.0.0.0/0", Severity: finding.High,
			ATLAS: atlasPublic, OWASP: []string{"LLM02:2025", "LLM08:2025"},
			Equivalents: []string{"CKV_AZURE_210"},
			Remediation: "Remove 0.0.0.0/0 from allowed_ips; list only the networks that need access.",
			targets: []target{
				{tf, []string{tfSearch}, func(r *Resource, _ *Set) verdict {
					v, _ := r.attr("allowed_ips")
					for _, ip := range listOf(v) {
						if s, _ := strOf(ip); s == "0.0.0.0/0" {
							return failf("allowed_ips contains 0.0.0.0/0")
						}
					}
					return pass
				}},
				{armBicep, []string{armSearch}, func(r *Resource, _ *Set) verdict {
					v, _ := r.attr("properties", "networkRuleSet", "ipRules")
					for _, rule := range listOf(v) {
						ip, _ := get(rule, "value")
						if s, _ := strOf(ip); s == "0.0.0.0/0" {
							return failf("networkRuleSet.ipRules contains 0.0.0.0/0")
						}
					}
					return pass
				}},
			},
		},
		{
			ID: "AIGIS-SRCH-006", Title: "Azure AI Search service allows API key authentication", Severity: finding.Medium,
			ATLAS: atlasCreds, OWASP: []string{"LLM02:2025", "LLM08:2025"},
			Equivalents: []string{"AzurePolicy:6300012e-e9a4-4649-b41f-a85f5c43be91"},
			Remediation: "Set local_authentication_enabled = false (ARM/Bicep: properties.disableLocalAuth = true) and use Entra ID roles.",
			targets: []target{
				{tf, []string{tfSearch}, wantBool("local_authentication_enabled", false, true)},
				{armBicep, []string{armSearch}, wantBool("properties/disableLocalAuth", true, false)},
			},
		},
		// ---- AWS Bedrock ----
		{
			ID: "AIGIS-BR-001", Title: "Bedrock agent is not encrypted with a customer-managed KMS key", Severity: finding.Medium,
			ATLAS: atlasExfil, OWASP: owaspCMK,
			Equivalents: []string{"CKV_AWS_373"},
			Remediation: remCMK + " Set customer_encryption_key_arn (CloudFormation: CustomerEncryptionKeyArn).",
			targets: []target{
				{tf, []string{"aws_bedrockagent_agent"}, wantSet("customer_encryption_key_arn")},
				{cfn, []string{"AWS::Bedrock::Agent"}, wantSet("Properties/CustomerEncryptionKeyArn")},
			},
		},
		{
			ID: "AIGIS-BR-002", Title: "Bedrock agent has no guardrail", Severity: finding.High,
			ATLAS: []string{"AML.T0051", "AML.T0054"}, OWASP: owaspAgent,
			Equivalents: []string{"CKV_AWS_383"},
			Remediation: "Attach a Bedrock guardrail: guardrail_configuration { guardrail_identifier, guardrail_version } (CloudFormation: GuardrailConfiguration).",
			targets: []target{
				{tf, []string{"aws_bedrockagent_agent"}, wantSet("guardrail_configuration/guardrail_identifier")},
				{cfn, []string{"AWS::Bedrock::Agent"}, wantSet("Properties/GuardrailConfiguration/GuardrailIdentifier")},
			},
		},
		{
			ID: "AIGIS-BR-003", Title: "Bedrock guardrail has no prompt-attack filter", Severity: finding.Medium,
			ATLAS: []string{"AML.T0051", "AML.T0054"}, OWASP: []string{"LLM01:2025"},
			Remediation: "Add a content filter of type PROMPT_ATTACK with input_strength HIGH (CloudFormation: ContentPolicyConfig.FiltersConfig Type PROMPT_ATTACK).",
			targets: []target{
				{tf, []string{"aws_bedrock_guardrail"}, func(r *Resource, _ *Set) verdict {
					v, _ := r.attr("content_policy_config")
					for _, cp := range listOf(v) {
						fs, _ := get(cp, "filters_config")
						for _, f := range listOf(fs) {
							t, _ := get(f, "type")
							st, _ := get(f, "input_strength")
							if s, _ := strOf(t); strings.EqualFold(s, "PROMPT_ATTACK") {
								if str, _ := strOf(st); !strings.EqualFold(str, "NONE") {
									return pass
								}
							}
						}
					}
					return failf("content_policy_config has no PROMPT_ATTACK filter")
				}},
				{cfn, []string{"AWS::Bedrock::Guardrail"}, func(r *Resource, _ *Set) verdict {
					fs, _ := r.attr("Properties", "ContentPolicyConfig", "FiltersConfig")
					for _, f := range listOf(fs) {
						t, _ := get(f, "Type")
						st, _ := get(f, "InputStrength")
						if s, _ := strOf(t); strings.EqualFold(s, "PROMPT_ATTACK") {
							if str, _ := strOf(st); !strings.EqualFold(str, "NONE") {
								return pass
							}
						}
					}
					return failf("ContentPolicyConfig has no PROMPT_ATTACK filter")
				}},
			},
		},
		// ---- AWS SageMaker ----
		{
			ID: "AIGIS-SM-001", Title: "SageMaker domain or notebook instance is not encrypted with a customer-managed KMS key", Severity: finding.Medium,
			ATLAS: atlasExfil, OWASP: owaspCMK,
			Equivalents: []string{"CKV_AWS_187", "CKV_AWS_22"},
			Remediation: remCMK + " Set kms_key_id (CloudFormation: KmsKeyId).",
			targets: []target{
				{tf, []string{"aws_sagemaker_domain", "aws_sagemaker_notebook_instance"}, wantSet("kms_key_id")},
				{cfn, []string{"AWS::SageMaker::Domain", "AWS::SageMaker::NotebookInstance"}, wantSet("Properties/KmsKeyId")},
			},
		},
		{
			ID: "AIGIS-SM-002", Title: "SageMaker notebook instance is not launched into a custom VPC", Severity: finding.Medium,
			ATLAS: atlasPublic, OWASP: owaspPublic,
			Equivalents: []string{"CKV_AWS_306"},
			Remediation: "Set subnet_id (and security_groups) so the notebook runs inside your VPC (CloudFormation: SubnetId).",
			targets: []target{
				{tf, []string{"aws_sagemaker_notebook_instance"}, wantSet("subnet_id")},
				{cfn, []string{"AWS::SageMaker::NotebookInstance"}, wantSet("Properties/SubnetId")},
			},
		},
		{
			ID: "AIGIS-SM-003", Title: "SageMaker notebook instance gives users root access", Severity: finding.High,
			ATLAS: []string{"AML.T0012", "AML.T0044"}, OWASP: []string{"LLM06:2025"},
			Equivalents: []string{"CKV_AWS_307"},
			Remediation: "Set root_access = \"Disabled\" (CloudFormation: RootAccess: Disabled).",
			targets: []target{
				{tf, []string{"aws_sagemaker_notebook_instance"}, wantString("root_access", true, "Disabled")},
				{cfn, []string{"AWS::SageMaker::NotebookInstance"}, wantString("Properties/RootAccess", true, "Disabled")},
			},
		},
		{
			ID: "AIGIS-SM-004", Title: "SageMaker notebook instance has direct internet access", Severity: finding.Medium,
			ATLAS: []string{"AML.T0025", "AML.T0049"}, OWASP: owaspPublic,
			Equivalents: []string{"CKV_AWS_122"},
			Remediation: "Set direct_internet_access = \"Disabled\" and route egress through your VPC (CloudFormation: DirectInternetAccess: Disabled).",
			targets: []target{
				{tf, []string{"aws_sagemaker_notebook_instance"}, wantString("direct_internet_access", true, "Disabled")},
				{cfn, []string{"AWS::SageMaker::NotebookInstance"}, wantString("Properties/DirectInternetAccess", true, "Disabled")},
			},
		},
		{
			ID: "AIGIS-SM-005", Title: "SageMaker data quality job does not encrypt its output with KMS", Severity: finding.Low,
			ATLAS: atlasExfil, OWASP: owaspCMK,
			Equivalents: []string{"CKV_AWS_367"},
			Remediation: "Set data_quality_job_output_config.kms_key_id (CloudFormation: DataQualityJobOutputConfig.KmsKeyId).",
			targets: []target{
				{tf, []string{"aws_sagemaker_data_quality_job_definition"}, wantSet("data_quality_job_output_config/kms_key_id")},
				{cfn, []string{"AWS::SageMaker::DataQualityJobDefinition"}, wantSet("Properties/DataQualityJobOutputConfig/KmsKeyId")},
			},
		},
		{
			ID: "AIGIS-SM-006", Title: "SageMaker data quality job does not encrypt attached volumes with KMS", Severity: finding.Low,
			ATLAS: atlasExfil, OWASP: owaspCMK,
			Equivalents: []string{"CKV_AWS_368"},
			Remediation: "Set job_resources.cluster_config.volume_kms_key_id (CloudFormation: JobResources.ClusterConfig.VolumeKmsKeyId).",
			targets: []target{
				{tf, []string{"aws_sagemaker_data_quality_job_definition"}, wantSet("job_resources/cluster_config/volume_kms_key_id")},
				{cfn, []string{"AWS::SageMaker::DataQualityJobDefinition"}, wantSet("Properties/JobResources/ClusterConfig/VolumeKmsKeyId")},
			},
		},
		{
			ID: "AIGIS-SM-007", Title: "SageMaker data quality job does not encrypt traffic between containers", Severity: finding.Low,
			ATLAS: []string{"AML.T0025"}, OWASP: owaspDisc,
			Equivalents: []string{"CKV_AWS_369"},
			Remediation: "Set network_config.enable_inter_container_traffic_encryption = true (CloudFormation: NetworkConfig.EnableInterContainerTrafficEncryption).",
			targets: []target{
				{tf, []string{"aws_sagemaker_data_quality_job_definition"}, wantBool("network_config/enable_inter_container_traffic_encryption", true, false)},
				{cfn, []string{"AWS::SageMaker::DataQualityJobDefinition"}, wantBool("Properties/NetworkConfig/EnableInterContainerTrafficEncryption", true, false)},
			},
		},
		{
			ID: "AIGIS-SM-008", Title: "SageMaker model does not use network isolation", Severity: finding.Medium,
			ATLAS: []string{"AML.T0025", "AML.T0011.000"}, OWASP: []string{"LLM03:2025", "LLM02:2025"},
			Equivalents: []string{"CKV_AWS_370"},
			Remediation: "Set enable_network_isolation = true so model containers make no outbound calls (CloudFormation: EnableNetworkIsolation).",
			targets: []target{
				{tf, []string{"aws_sagemaker_model"}, wantBool("enable_network_isolation", true, false)},
				{cfn, []string{"AWS::SageMaker::Model"}, wantBool("Properties/EnableNetworkIsolation", true, false)},
			},
		},
		{
			ID: "AIGIS-SM-009", Title: "SageMaker notebook instance allows IMDSv1", Severity: finding.Medium,
			ATLAS: []string{"AML.T0055"}, OWASP: owaspDisc,
			Equivalents: []string{"CKV_AWS_371"},
			Remediation: "Set instance_metadata_service_configuration.minimum_instance_metadata_service_version = \"2\".",
			targets: []target{
				{tf, []string{"aws_sagemaker_notebook_instance"}, wantString("instance_metadata_service_configuration/minimum_instance_metadata_service_version", true, "2")},
				{cfn, []string{"AWS::SageMaker::NotebookInstance"}, wantString("Properties/InstanceMetadataServiceConfiguration/MinimumInstanceMetadataServiceVersion", true, "2")},
			},
		},
		{
			ID: "AIGIS-SM-010", Title: "SageMaker flow definition output is not encrypted with KMS", Severity: finding.Low,
			ATLAS: atlasExfil, OWASP: owaspCMK,
			Equivalents: []string{"CKV_AWS_372"},
			Remediation: "Set output_config.kms_key_id on the human-review flow definition.",
			targets: []target{
				{tf, []string{"aws_sagemaker_flow_definition"}, wantSet("output_config/kms_key_id")},
			},
		},
		{
			ID: "AIGIS-SM-011", Title: "SageMaker notebook instance role has an overly permissive IAM policy", Severity: finding.High,
			ATLAS: []string{"AML.T0012", "AML.T0053"}, OWASP: []string{"LLM06:2025", "ASI03"},
			Equivalents: []string{"CKV2_AWS_68"},
			Remediation: "Grant the notebook role only the actions and resources it needs; no Action \"*\" on Resource \"*\" and no AdministratorAccess.",
			targets: []target{
				{tf, []string{"aws_sagemaker_notebook_instance"}, func(r *Resource, s *Set) verdict {
					roleRef, _ := r.attr("role_arn")
					role := s.resolveRef(roleRef, "aws_iam_role")
					if role == nil {
						return na
					}
					if ev := permissivePolicy(role.RawText); ev != "" {
						return failf(role.Address() + ": " + ev)
					}
					for _, p := range s.referencing(role, "aws_iam_role_policy", "aws_iam_role_policy_attachment", "aws_iam_policy_attachment") {
						if strings.Contains(p.RawText, "AdministratorAccess") {
							return failf(p.Address() + " attaches AdministratorAccess")
						}
						if ev := permissivePolicy(p.RawText); ev != "" {
							return failf(p.Address() + ": " + ev)
						}
						pa, _ := p.attr("policy_arn")
						if pol := s.resolveRef(pa, "aws_iam_policy"); pol != nil {
							if ev := permissivePolicy(pol.RawText); ev != "" {
								return failf(pol.Address() + ": " + ev)
							}
						}
					}
					return pass
				}},
			},
		},
		{
			ID: "AIGIS-SM-012", Title: "SageMaker endpoint configuration is not encrypted with a customer-managed KMS key", Severity: finding.Low,
			ATLAS: atlasExfil, OWASP: owaspCMK,
			Equivalents: []string{"CKV_AWS_98"},
			Remediation: remCMK + " Set kms_key_arn (CloudFormation: KmsKeyId).",
			targets: []target{
				{tf, []string{"aws_sagemaker_endpoint_configuration"}, wantSet("kms_key_arn")},
				{cfn, []string{"AWS::SageMaker::EndpointConfig"}, wantSet("Properties/KmsKeyId")},
			},
		},
		// ---- AWS Comprehend ----
		{
			ID: "AIGIS-CMP-001", Title: "Comprehend entity recognizer model is not encrypted with a customer-managed KMS key", Severity: finding.Low,
			ATLAS: atlasExfil, OWASP: owaspCMK,
			Equivalents: []string{"CKV_AWS_267"},
			Remediation: remCMK + " Set model_kms_key_id.",
			targets:     []target{{tf, []string{"aws_comprehend_entity_recognizer"}, wantSet("model_kms_key_id")}},
		},
		{
			ID: "AIGIS-CMP-002", Title: "Comprehend entity recognizer volume is not encrypted with a customer-managed KMS key", Severity: finding.Low,
			ATLAS: atlasExfil, OWASP: owaspCMK,
			Equivalents: []string{"CKV_AWS_268"},
			Remediation: remCMK + " Set volume_kms_key_id.",
			targets:     []target{{tf, []string{"aws_comprehend_entity_recognizer"}, wantSet("volume_kms_key_id")}},
		},
		// ---- GCP Vertex AI ----
		{
			ID: "AIGIS-GCP-001", Title: "Vertex AI notebook instance has a public IP", Severity: finding.High,
			ATLAS: atlasPublic, OWASP: owaspPublic,
			Equivalents: []string{"CKV_GCP_89"},
			Remediation: "Set no_public_ip = true.",
			targets:     []target{{tf, []string{"google_notebooks_instance"}, wantBool("no_public_ip", true, false)}},
		},
		{
			ID: "AIGIS-GCP-002", Title: "Vertex AI dataset is not encrypted with a customer-managed key", Severity: finding.Low,
			ATLAS: []string{"AML.T0035", "AML.T0010.002"}, OWASP: owaspCMK,
			Equivalents: []string{"CKV_GCP_92"},
			Remediation: remCMK + " Set encryption_spec.kms_key_name.",
			targets:     []target{{tf, []string{"google_vertex_ai_dataset"}, wantSet("encryption_spec/kms_key_name")}},
		},
		{
			ID: "AIGIS-GCP-003", Title: "Vertex AI metadata store is not encrypted with a customer-managed key", Severity: finding.Low,
			ATLAS: atlasExfil, OWASP: owaspCMK,
			Equivalents: []string{"CKV_GCP_96"},
			Remediation: remCMK + " Set encryption_spec.kms_key_name.",
			targets:     []target{{tf, []string{"google_vertex_ai_metadata_store"}, wantSet("encryption_spec/kms_key_name")}},
		},
		{
			ID: "AIGIS-GCP-004", Title: "Vertex AI notebook instance has vTPM (Shielded VM) disabled", Severity: finding.Low,
			ATLAS: []string{"AML.T0010.000"}, OWASP: owaspSupply,
			Equivalents: []string{"CKV_GCP_126"},
			Remediation: "Remove enable_vtpm = false from shielded_instance_config (or set it to true).",
			targets:     []target{{tf, []string{"google_notebooks_instance"}, wantBool("shielded_instance_config/enable_vtpm", true, true)}},
		},
		{
			ID: "AIGIS-GCP-005", Title: "Vertex AI notebook instance has integrity monitoring disabled", Severity: finding.Low,
			ATLAS: []string{"AML.T0010.000"}, OWASP: owaspSupply,
			Equivalents: []string{"CKV_GCP_127"},
			Remediation: "Remove enable_integrity_monitoring = false from shielded_instance_config (or set it to true).",
			targets:     []target{{tf, []string{"google_notebooks_instance"}, wantBool("shielded_instance_config/enable_integrity_monitoring", true, true)}},
		},
		{
			ID: "AIGIS-GCP-006", Title: "Vertex AI notebook instance disks are not encrypted with a customer-managed key", Severity: finding.Low,
			ATLAS: atlasExfil, OWASP: owaspCMK,
			Equivalents: []string{"CKV2_GCP_21"},
			Remediation: "Set disk_encryption = \"CMEK\" and kms_key.",
			targets:     []target{{tf, []string{"google_notebooks_instance"}, allOf(wantString("disk_encryption", true, "CMEK"), wantSet("kms_key"))}},
		},
		{
			ID: "AIGIS-GCP-007", Title: "Vertex AI endpoint is not encrypted with a customer-managed key", Severity: finding.Low,
			ATLAS: atlasExfil, OWASP: owaspCMK,
			Equivalents: []string{"CKV2_GCP_24"},
			Remediation: remCMK + " Set encryption_spec.kms_key_name.",
			targets:     []target{{tf, []string{"google_vertex_ai_endpoint"}, wantSet("encryption_spec")}},
		},
		{
			ID: "AIGIS-GCP-008", Title: "Vertex AI featurestore is not encrypted with a customer-managed key", Severity: finding.Low,
			ATLAS: atlasExfil, OWASP: owaspCMK,
			Equivalents: []string{"CKV2_GCP_25"},
			Remediation: remCMK + " Set encryption_spec.kms_key_name.",
			targets:     []target{{tf, []string{"google_vertex_ai_featurestore"}, wantSet("encryption_spec")}},
		},
		{
			ID: "AIGIS-GCP-009", Title: "Vertex AI tensorboard is not encrypted with a customer-managed key", Severity: finding.Low,
			ATLAS: atlasExfil, OWASP: owaspCMK,
			Equivalents: []string{"CKV2_GCP_26"},
			Remediation: remCMK + " Set encryption_spec.kms_key_name.",
			targets:     []target{{tf, []string{"google_vertex_ai_tensorboard"}, wantSet("encryption_spec")}},
		},
		{
			ID: "AIGIS-GCP-010", Title: "Vertex AI workbench instance disks are not encrypted with a customer-managed key", Severity: finding.Low,
			ATLAS: atlasExfil, OWASP: owaspCMK,
			Equivalents: []string{"CKV2_GCP_27"},
			Remediation: "Set gce_setup.boot_disk.kms_key (and kms_key on every data_disks block) to a Cloud KMS key, with disk_encryption = \"CMEK\".",
			// CKV2_GCP_27: boot_disk.kms_key exists, and data_disks is absent or has kms_key.
			targets: []target{{tf, []string{"google_workbench_instance"}, func(r *Resource, _ *Set) verdict {
				if !isSet(r.attr("gce_setup", "boot_disk", "kms_key")) {
					return failf("gce_setup.boot_disk.kms_key is not set")
				}
				if dd, ok := r.attr("gce_setup", "data_disks"); ok {
					for _, d := range listOf(dd) {
						if !isSet(get(d, "kms_key")) {
							return failf("gce_setup.data_disks.kms_key is not set")
						}
					}
				}
				return pass
			}}},
		},
		{
			ID: "AIGIS-GCP-011", Title: "Vertex AI workbench instance has a public IP", Severity: finding.High,
			ATLAS: atlasPublic, OWASP: owaspPublic,
			Equivalents: []string{"CKV2_GCP_28"},
			Remediation: "Set gce_setup.disable_public_ip = true.",
			targets:     []target{{tf, []string{"google_workbench_instance"}, wantBool("gce_setup/disable_public_ip", true, false)}},
		},
		{
			ID: "AIGIS-GCP-012", Title: "Vertex AI endpoint is public (not peered into a VPC network)", Severity: finding.Medium,
			ATLAS: atlasPublic, OWASP: owaspPublic,
			Equivalents: []string{"CKV2_GCP_33"},
			Remediation: "Set network to a peered VPC (projects/<p>/global/networks/<n>); the attribute is fixed at creation, so create a new endpoint and redeploy.",
			targets:     []target{{tf, []string{"google_vertex_ai_endpoint"}, wantSet("network")}},
		},
		{
			ID: "AIGIS-GCP-013", Title: "Vertex AI index endpoint is public", Severity: finding.Medium,
			ATLAS: []string{"AML.T0049", "AML.T0085.000"}, OWASP: []string{"LLM08:2025", "LLM02:2025"},
			Equivalents: []string{"CKV2_GCP_34"},
			Remediation: "Do not set public_endpoint_enabled = true; use network or private_service_connect_config.",
			// CKV2_GCP_34: public_endpoint_enabled != true.
			targets: []target{{tf, []string{"google_vertex_ai_index_endpoint"}, wantBool("public_endpoint_enabled", false, false)}},
		},
		{
			ID: "AIGIS-GCP-014", Title: "Vertex AI runtime is not encrypted with a customer-managed key", Severity: finding.Low,
			ATLAS: atlasExfil, OWASP: owaspCMK,
			Equivalents: []string{"CKV2_GCP_35"},
			Remediation: remCMK + " Set virtual_machine.virtual_machine_config.encryption_config.kms_key (Colab Enterprise templates: encryption_spec.kms_key_name).",
			targets: []target{
				{tf, []string{"google_notebooks_runtime"}, wantSet("virtual_machine/virtual_machine_config/encryption_config/kms_key")},
				{tf, []string{"google_colab_runtime_template"}, wantSet("encryption_spec/kms_key_name")},
			},
		},
		{
			ID: "AIGIS-GCP-015", Title: "Vertex AI runtime is reachable from the internet", Severity: finding.Medium,
			ATLAS: []string{"AML.T0025", "AML.T0049"}, OWASP: owaspPublic,
			Equivalents: []string{"CKV2_GCP_36"},
			Remediation: "Set virtual_machine.virtual_machine_config.internal_ip_only = true (Colab Enterprise templates: network_spec.enable_internet_access = false) and reach it through IAP or a VPN.",
			targets: []target{
				{tf, []string{"google_notebooks_runtime"}, wantBool("virtual_machine/virtual_machine_config/internal_ip_only", true, false)},
				{tf, []string{"google_colab_runtime_template"}, wantBool("network_spec/enable_internet_access", false, true)},
			},
		},
	}
}

func identityHas(path, want string) func(*Resource, *Set) verdict {
	keys := strings.Split(path, "/")
	return func(r *Resource, _ *Set) verdict {
		v, ok := r.attr(keys...)
		if !ok {
			return failf(path + " is not set")
		}
		if _, isExpr := v.(Expr); isExpr {
			return pass
		}
		s, _ := strOf(v)
		if strings.Contains(strings.ToLower(strings.ReplaceAll(s, " ", "")), strings.ToLower(want)) {
			return pass
		}
		return failf(path + " = " + s)
	}
}

func privateEndpointCheck(peType string) func(*Resource, *Set) verdict {
	return func(r *Resource, s *Set) verdict {
		if len(s.referencing(r, peType)) > 0 {
			return pass
		}
		return failf("no " + peType + " refers to " + r.Address())
	}
}

func listOf(v any) []any {
	switch x := v.(type) {
	case []any:
		return x
	case nil:
		return nil
	}
	return []any{v}
}

// permissivePolicy reports an Allow statement whose Action is "*" (Checkov
// CKV2_AWS_68), or "service:*" on Resource "*" (an aigis extension). Each
// statement is the innermost {...} around its Action key; Deny statements
// are skipped. Bounds: at most maxPolicyActions Action keys are looked at,
// and a statement is searched for at most maxStatementScan bytes each way.
func permissivePolicy(text string) string {
	for _, m := range policyActionKey.FindAllStringIndex(text, maxPolicyActions) {
		vals := actionValues(text[m[1]:])
		all, svc := false, false
		for _, v := range vals {
			all = all || v == "*"
			svc = svc || serviceWildcard.MatchString(v)
		}
		if !all && !svc {
			continue
		}
		stmt := enclosingObject(text, m[0])
		// literal tests first: the expressions run only when they can match
		if (strings.Contains(stmt, "eny") || strings.Contains(stmt, "ENY")) && policyDeny.MatchString(stmt) {
			continue
		}
		if all {
			return "policy statement allows Action \"*\""
		}
		if strings.Contains(stmt, `"*"`) && policyResource.MatchString(stmt) {
			return "policy statement allows Action \"service:*\" on Resource \"*\""
		}
	}
	return ""
}

// actionValues returns the quoted strings of the value that starts rest: one
// string, or the strings of a [...] list.
func actionValues(rest string) []string {
	rest = strings.TrimLeft(rest, " \t\r\n")
	if rest == "" {
		return nil
	}
	end := len(rest)
	if rest[0] == '[' {
		if i := strings.IndexByte(rest, ']'); i >= 0 {
			end = i
		}
	} else if rest[0] == '"' {
		if i := strings.IndexByte(rest[1:], '"'); i >= 0 {
			end = i + 2
		}
	} else {
		return nil
	}
	var out []string
	for _, q := range quotedString.FindAllStringSubmatch(rest[:end], -1) {
		out = append(out, q[1])
	}
	return out
}

// enclosingObject returns the innermost {...} (or the whole text when there
// is none) around position at.
const (
	maxPolicyActions = 1024
	maxStatementScan = 8 << 10
)

func enclosingObject(text string, at int) string {
	start, end := max(0, at-maxStatementScan), min(len(text), at+maxStatementScan)
	lo, hi := start, end
	depth := 0
back:
	for i := at - 1; i >= lo; i-- {
		switch text[i] {
		case '}':
			depth++
		case '{':
			if depth == 0 {
				start = i
				break back
			}
			depth--
		}
	}
	depth = 0
fwd:
	for i := at; i < hi; i++ {
		switch text[i] {
		case '{':
			depth++
		case '}':
			if depth == 0 {
				end = i + 1
				break fwd
			}
			depth--
		}
	}
	return text[start:end]
}
