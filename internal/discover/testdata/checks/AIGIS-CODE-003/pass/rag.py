from langchain_community.vectorstores import FAISS
db = FAISS.load_local("idx", emb)
