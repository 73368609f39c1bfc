require "cerner/system_account"

RSpec.describe Cerner::SystemAccount do
  it "builds a basic header" do
    acct = described_class.new(client_id: "@@FAKE:uuid@@", client_secret: "@@BAIT:low-entropy-value@@secret")
    expect(acct.basic_header).to start_with("Basic ")
  end
end
