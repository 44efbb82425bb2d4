import os, openai
client = openai.OpenAI(api_key=os.environ["OPENAI_API_KEY"])
placeholder = "sk-proj-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
