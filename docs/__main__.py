from docs import DOCUMENT, render

DOCUMENT.write_text(render())
