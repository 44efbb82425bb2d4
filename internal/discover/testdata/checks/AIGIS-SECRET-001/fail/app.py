import openai
client = openai.OpenAI(api_key="sk-proj-Q7w9E2r4T6y8U1i3O5p7A9s2D4f6G8h1J3k5L7z9X2c4V6b8N1m3")
