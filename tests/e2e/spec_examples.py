"""The product specification's SDK examples, verbatim (issue 15). The tests fill in only the key
(`your_api_key`) and the base URL (`https://api.smartspec.pro`); nothing else of them may change."""

from __future__ import annotations

SPEC_KEY = "your_api_key"
SPEC_BASE_URL = "https://api.smartspec.pro"

PYTHON_EXAMPLE = """\
from smartspec_client import SmartSpecClient

client = SmartSpecClient(api_key="your_api_key", base_url="https://api.smartspec.pro")
result = client.generate_image(prompt="A futuristic city at night", model="nano-banana-pro", width=1024, height=1024)
print(f"Image URL: {result['output_url']}")
"""

TYPESCRIPT_EXAMPLE = """\
import { SmartSpecClient } from './smartspec-client';
const client = new SmartSpecClient({ apiKey: 'your_api_key', baseUrl: 'https://api.smartspec.pro' });
const result = await client.generateImage({ prompt: 'A futuristic city at night', model: 'nano-banana-pro', width: 1024, height: 1024 });
console.log('Image URL:', result.outputUrl);
"""

REACT_EXAMPLE = """\
import { useSmartSpec } from './useSmartSpec';
function ImageGenerator() {
  const { generateImage, loading, error, result } = useSmartSpec({ apiKey: 'your_api_key' });
  const handleGenerate = async () => { await generateImage({ prompt: 'A beautiful landscape', model: 'nano-banana-pro' }); };
  return (<div>
    <button onClick={handleGenerate} disabled={loading}>{loading ? 'Generating...' : 'Generate Image'}</button>
    {result && <img src={result.outputUrl} alt="Generated" />}
    {error && <p>Error: {error}</p>}
  </div>);
}
"""


def filled_in(example: str, *, api_key: str, base_url: str) -> str:
    """The example with the key and the base URL filled in, and nothing else touched."""
    assert SPEC_KEY in example
    return example.replace(SPEC_KEY, api_key).replace(SPEC_BASE_URL, base_url)
