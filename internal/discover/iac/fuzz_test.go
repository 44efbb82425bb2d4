package iac

import "testing"

// evaluateAll runs every check over parsed resources: checks must never
// panic on odd shapes either.
func evaluateAll(rs []Resource) {
	_ = Evaluate(Checks(), &Set{Resources: rs})
	_ = AIResources(rs)
}

func FuzzParseTerraform(f *testing.F) {
	f.Add([]byte(`resource "azurerm_cognitive_account" "a" {
  kind = "OpenAI"
  public_network_access_enabled = var.pna
  network_acls { default_action = "Deny" }
  dynamic "identity" {
    for_each = [1]
    content { type = "SystemAssigned" }
  }
}
variable "pna" { default = false }
locals { x = "${var.pna}-y" }`))
	f.Add([]byte(`resource "aws_sagemaker_notebook_instance" "n" { root_access = local.r }`))
	f.Add([]byte("resource \"x\" \"y\" {\n  a = [for v in var.l : v]\n}"))
	f.Add([]byte(`{{{`))
	f.Fuzz(func(t *testing.T, src []byte) {
		tf, err := ParseTerraform("f.tf", src)
		if err != nil {
			return
		}
		evaluateAll(TerraformModule([]*TerraformFile{tf}))
	})
}

func FuzzParseJSON(f *testing.F) {
	f.Add([]byte(`{"$schema":"https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#","contentVersion":"1.0.0.0","parameters":{"p":{"defaultValue":"Disabled"}},"resources":[{"type":"Microsoft.CognitiveServices/accounts","name":"a","properties":{"publicNetworkAccess":"[parameters('p')]"},"resources":[{"type":"deployments","name":"d"}]}]}`))
	f.Add([]byte(`{"AWSTemplateFormatVersion":"2010-09-09","Resources":{"A":{"Type":"AWS::Bedrock::Agent","Properties":{}}}}`))
	f.Add([]byte(`{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"x"}}]}`))
	f.Add([]byte(`[[[[[[`))
	f.Fuzz(func(t *testing.T, src []byte) {
		rs, err := ParseJSON("f.json", src)
		if err != nil {
			return
		}
		evaluateAll(rs)
	})
}

func FuzzParseYAML(f *testing.F) {
	f.Add([]byte("AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  N:\n    Type: AWS::SageMaker::NotebookInstance\n    Properties:\n      KmsKeyId: !Ref K\n      SubnetId: !GetAtt S.Id\n      RootAccess: !If [c, a, b]\n"))
	f.Add([]byte("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: v}\nspec:\n  template:\n    metadata: {labels: {app: v}}\n    spec:\n      containers: [{name: s, image: 'vllm/vllm-openai', args: ['--trust-remote-code']}]\n---\napiVersion: v1\nkind: Service\nmetadata: {name: v}\nspec: {type: NodePort, selector: {app: v}}\n"))
	f.Add([]byte("a: &a [1]\nb: [*a, *a]\n<<: *a\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		rs, _ := ParseYAML("f.yaml", src)
		evaluateAll(rs)
	})
}

func FuzzParseBicep(f *testing.F) {
	f.Add([]byte("param p string = 'Disabled'\nresource a 'Microsoft.CognitiveServices/accounts@2023-05-01' = {\n  name: 'a'\n  properties: {\n    publicNetworkAccess: p\n    list: [\n      'x'\n      { k: 1 }\n    ]\n  }\n  resource d 'deployments' = {\n    name: 'd'\n  }\n}\n"))
	f.Add([]byte("resource a 'T@1' = [for i in range(0, 2): {\n  name: '${i}'\n  properties: { x: cond ? 1 : 2 }\n}]\n"))
	f.Add([]byte("resource a 'T@1' existing = {\n  name: '''multi\nline'''\n}\n/* c */ // d\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		rs, _ := ParseBicep("f.bicep", src)
		evaluateAll(rs)
	})
}
