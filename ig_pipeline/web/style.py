"""The handler's one stylesheet, inline in every page and allowed by its hash in the CSP
(``default-src 'none'`` stays: no other style, script or resource loads)."""

import base64
import hashlib

PAGE_CSS = ("body{font:16px/1.5 system-ui,-apple-system,'Segoe UI',sans-serif;max-width:36rem;margin:3rem auto;"
            "padding:0 1rem;color:#1f2328;background:#f6f8fa}"
            "h1{font-size:1.5rem;margin:0 0 1rem}"
            "main{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:1.5rem 2rem}"
            "ul{padding-left:1.2rem}li{margin:.25rem 0}code{background:#eff1f3;padding:0 .25rem;border-radius:4px}"
            "button{font:inherit;padding:.4rem 1rem;border-radius:6px;border:1px solid #d0d7de;cursor:pointer}")
STYLE_TAG = f"<style>{PAGE_CSS}</style>"
CSP_STYLE_SOURCE = "'sha256-" + base64.b64encode(hashlib.sha256(PAGE_CSS.encode()).digest()).decode() + "'"
